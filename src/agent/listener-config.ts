/** The agent's `listener "tcp"` and `listener "unix"` blocks: where the API proxy listens. */
import { invalid } from '../core/errors.js';
import {
  type Body,
  optionalBool,
  optionalFileMode,
  optionalString,
  refuseUnknown,
  requiredString,
  typedBlocks,
} from './config-fields.js';

export interface AgentListenerConfig {
  type: 'tcp' | 'unix';
  /** host:port for tcp, a socket path for unix. */
  address: string;
  tlsDisable: boolean;
  tlsCertFile?: string;
  tlsKeyFile?: string;
  requireRequestHeader: boolean;
  /** Unix sockets only; 0600 unless configured (SECURITY.md J5). */
  socketMode: number;
  maxRequestBytes: number;
}

/** As Vault's listeners: 32 MiB. */
const DEFAULT_MAX_REQUEST_BYTES = 32 << 20;
const DEFAULT_SOCKET_MODE = 0o600;

const COMMON = [
  'address',
  'tls_disable',
  'tls_cert_file',
  'tls_key_file',
  'require_request_header',
  'max_request_size',
];
const UNIX_ONLY = ['socket_mode', 'socket_user', 'socket_group'];

function parseListener(label: string, body: Body): AgentListenerConfig {
  const where = `listener "${label}"`;
  if (label !== 'tcp' && label !== 'unix')
    throw invalid(`${where}: unknown listener type (supported: tcp, unix)`);
  refuseUnknown(body, label === 'unix' ? [...COMMON, ...UNIX_ONLY] : COMMON, where);
  if (body.socket_user !== undefined || body.socket_group !== undefined)
    throw invalid(`${where}: "socket_user" and "socket_group" are not supported`);
  // A unix socket carries no TLS in Vault either.
  const tlsDisable = label === 'unix' || optionalBool(body, 'tls_disable', where, false);
  const listener: AgentListenerConfig = {
    type: label,
    address:
      label === 'unix'
        ? requiredString(body, 'address', where)
        : optionalString(body, 'address', where) || '127.0.0.1:8200',
    tlsDisable,
    requireRequestHeader: optionalBool(body, 'require_request_header', where, false),
    socketMode: optionalFileMode(body, 'socket_mode', where) ?? DEFAULT_SOCKET_MODE,
    maxRequestBytes: Number(body.max_request_size ?? 0) || DEFAULT_MAX_REQUEST_BYTES,
  };
  if (!Number.isInteger(listener.maxRequestBytes) || listener.maxRequestBytes <= 0)
    throw invalid(`${where}: "max_request_size" must be a positive integer`);
  if (!tlsDisable) {
    listener.tlsCertFile = optionalString(body, 'tls_cert_file', where);
    listener.tlsKeyFile = optionalString(body, 'tls_key_file', where);
    if (!listener.tlsCertFile || !listener.tlsKeyFile)
      throw invalid(`${where}: "tls_cert_file" and "tls_key_file" are required unless tls_disable = true`);
  }
  return listener;
}

export function parseListeners(value: unknown): AgentListenerConfig[] {
  return typedBlocks(value, 'listener').map((block) => parseListener(block.label, block.body));
}
