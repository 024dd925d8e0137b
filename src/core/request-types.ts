/** What http/ hands to core/ and gets back: a logical request with its credentials, and a response with wire facts. */
import type { LogicalResponse, Operation } from '../framework/logical.js';

export interface IncomingRequest {
  id: string;
  /** Canonical path after `/v1/`, no leading slash. */
  path: string;
  operation: Operation;
  data: Record<string, unknown>;
  token?: string;
  clientAddr: string;
  /** The client's TCP port, for audit entries' `remote_port`. */
  clientPort?: number;
  headers: Record<string, string>;
  wrapTtlSeconds?: number;
  /** `?help=1`: answer the path's help instead of running it. */
  help?: boolean;
  /** How long the engine may take to answer (the listener's max_request_duration); none if unset. */
  maxDurationMs?: number;
}

export interface CoreResponse {
  requestId: string;
  mountType: string;
  response?: LogicalResponse;
  /** The envelope's `auth` block, already in wire shape. */
  auth?: Record<string, unknown>;
  leaseId: string;
  leaseDuration: number;
  renewable: boolean;
  wrapInfo?: Record<string, unknown>;
}
