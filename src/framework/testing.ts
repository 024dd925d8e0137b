/** Mounts an engine on in-memory storage so its tests drive it through its declarations. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { CofferError } from '../core/errors.js';
import type { StorageBackend } from '../storage/backend.js';
import { InmemBackend } from '../storage/inmem.js';
import { type Clock, FakeClock } from './clock.js';
import type { Engine } from './engine.js';
import { silentLogger } from './log.js';
import type { Caller, LogicalRequest, LogicalResponse, Operation } from './logical.js';
import type { MaybePromise } from './maybe-promise.js';
import type { EngineContext } from './path.js';
import { StorageView } from './storage-view.js';

export interface TestMount {
  ctx: EngineContext;
  clock: Clock;
  request(
    operation: Operation,
    path: string,
    data?: Record<string, unknown>,
    caller?: Caller,
  ): Promise<LogicalResponse | undefined>;
}

export async function mountForTest(
  engine: Engine,
  options: {
    clock?: Clock;
    mountPath?: string;
    options?: Record<string, string>;
    /** Storage under the mount's view; in-memory by default. Tests that need to order writes wrap it. */
    backend?: StorageBackend;
  } = {},
): Promise<TestMount> {
  const clock = options.clock ?? new FakeClock();
  const mountPath = options.mountPath ?? `${engine.type}/`;
  const ctx: EngineContext = {
    storage: new StorageView(options.backend ?? new InmemBackend(), 'logical/test/'),
    log: silentLogger,
    clock,
    system: {
      mountPath,
      mountType: engine.type,
      mountUuid: randomUUID(),
      defaultLeaseTtl: () => 768 * 3600,
      maxLeaseTtl: () => 768 * 3600,
      options: () => options.options ?? {},
    },
  };
  await engine.initialize?.(ctx);
  return {
    ctx,
    clock,
    async request(operation, path, data = {}, caller) {
      const req: LogicalRequest = { id: randomUUID(), operation, path, data, mountPoint: mountPath, caller };
      if (operation === 'update') {
        const exists = await engine.exists(ctx, req);
        if (exists === false) req.operation = 'create';
      }
      return engine.handleRequest(ctx, req);
    },
  };
}

/** The CofferError a request fails with; fails the test if it succeeds or throws anything else. */
export async function rejection(promise: MaybePromise<unknown>): Promise<CofferError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof CofferError, `expected a CofferError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the request to fail');
}

/** A task for lock and queue tests: logs its start and end, and finishes (with its name) when opened. */
export function gatedTask(log: string[], name: string): { fn: () => Promise<string>; open: () => void } {
  let open: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  return {
    fn: async () => {
      log.push(`start ${name}`);
      await gate;
      log.push(`end ${name}`);
      return name;
    },
    open: () => open(),
  };
}
