/**
 * High availability on a shared storage (DESIGN.md, "postgresql: for production and HA"): several
 * servers on one database, one of them holding the HA lock and active, the others standbys that
 * forward to it and take over when its hold lapses. The lock's validity is judged by the database's
 * clock, never a node's own (SECURITY.md H4), and the active node's writes are fenced: each commits
 * only while its node still holds the lock (H3).
 */
import { CofferError } from '../core/errors.js';
import type { StorageBackend } from './backend.js';

/** The node that holds the lock, as recorded in it. */
export interface HaLeader {
  nodeId: string;
  /** The address clients reach it at (its `api_addr`). */
  apiAddr: string;
  /** Its `cluster_addr`, reported by `sys/leader`; '' when unset. */
  clusterAddr: string;
}

export interface HaLockOptions {
  nodeId: string;
  apiAddr: string;
  clusterAddr?: string;
  /** How long a hold lasts without renewal (Vault's PostgreSQL lock: 15 s). */
  ttlMs: number;
  /** Called when the fence refuses a write of this node's: the first sign that another node holds the lock. */
  onFenced?: () => void;
}

export interface HaLock {
  readonly nodeId: string;
  /**
   * One attempt to take the lock, free or lapsed by the database's clock. True if this node holds it
   * afterwards. From the first success on, this backend's writes are fenced for good: they commit
   * only while this node holds the lock, so a node that lost or released it never writes again
   * until it takes the lock anew.
   */
  tryAcquire(): Promise<boolean>;
  /** Extends the hold by the TTL. False once the lock is not this node's any more (taken, deleted, lapsed). */
  renew(): Promise<boolean>;
  /** Gives the lock up at once (step-down, shutdown); the fence stays. */
  release(): Promise<void>;
  /** The holder now, by the database's clock; undefined when the lock is free or lapsed. */
  leader(): Promise<HaLeader | undefined>;
}

/** A storage backend that can hold the HA lock (PostgreSQL with `ha_enabled = "true"`). */
export interface HaBackend extends StorageBackend {
  readonly haEnabled: true;
  /** This node's lock; one per backend. */
  haLock(options: HaLockOptions): HaLock;
}

export function isHaBackend(backend: StorageBackend): backend is HaBackend {
  return (backend as Partial<HaBackend>).haEnabled === true;
}

/**
 * A write by a node that no longer holds the HA lock: nothing of it was committed. Its request is
 * answered with a 500 that names the fence, never a crash.
 */
export class FencedWriteError extends CofferError {
  constructor() {
    super('internal', 'fenced write failed');
    this.name = 'FencedWriteError';
  }
}
