/**
 * Test-only: a dev core (initialised and unsealed, 1 h default and 2 h max lease TTL) on in-memory or
 * given storage, and `send`, which puts one request through the real pipeline as the HTTP layer would.
 */
import type { Clock } from '../framework/clock.js';
import type { Engine } from '../framework/engine.js';
import { type Logger, silentLogger } from '../framework/log.js';
import type { Operation } from '../framework/logical.js';
import type { StorageBackend } from '../storage/backend.js';
import { InmemBackend } from '../storage/inmem.js';
import { Core, type HaNodeOptions } from './core.js';
import { createRegistry } from './engine-registry.js';
import { handleRequest } from './pipeline.js';
import type { IncomingRequest } from './request-types.js';

export interface DevCoreOptions {
  engines: Engine[];
  physical?: StorageBackend;
  clock?: Clock;
  log?: Logger;
  sealGraceMs?: number;
  /** This node in an HA cluster, on a `physical` that holds the HA lock. */
  ha?: HaNodeOptions;
  apiAddr?: string | (() => string);
}

/** A core as `startDevCore` makes it, not initialised: another node of the same storage. */
export function newTestCore(options: DevCoreOptions): Core {
  return new Core({
    physical: options.physical ?? new InmemBackend(),
    log: options.log ?? silentLogger,
    clock: options.clock,
    registry: createRegistry(options.engines),
    defaultLeaseTtl: 3600,
    maxLeaseTtl: 7200,
    sealGraceMs: options.sealGraceMs,
    ha: options.ha,
    apiAddr: typeof options.apiAddr === 'string' ? () => options.apiAddr as string : options.apiAddr,
  });
}

export async function startDevCore(options: DevCoreOptions) {
  const core = newTestCore(options);
  const { key, rootToken } = await core.initializeDev();
  const send = sender(core);
  /** Unseals again after `core.sealVault()`. */
  const unseal = () => core.submitUnsealKey(Buffer.from(key).toString('hex'));
  return { core, rootToken, send, unseal, key };
}

/**
 * Puts requests through the real pipeline of `core`, as the HTTP layer would. Always a promise, as
 * tests chain on it, though the pipeline answers a cached read at once.
 */
export function sender(core: Core) {
  let requests = 0;
  return async (
    operation: Operation,
    path: string,
    token: string | undefined,
    data: Record<string, unknown> = {},
    extra: Partial<Pick<IncomingRequest, 'wrapTtlSeconds' | 'maxDurationMs'>> = {},
  ) =>
    handleRequest(core, {
      id: `r${++requests}`,
      path,
      operation,
      data,
      token,
      clientAddr: '127.0.0.1',
      headers: {},
      ...extra,
    });
}
