/**
 * Leases and the token that asked for them, through the real core pipeline with a stand-in engine
 * that records what it issued and revoked: a batch token's leases end with the token, and a lease
 * whose request finishes after its token was revoked is revoked, not left running.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { defineEngine } from '../framework/engine.js';
import { definePath } from '../framework/path.js';
import { InmemBackend } from '../storage/inmem.js';
import { startDevCore } from './testing.js';

/** Issues a 60 s lease per read of `creds`; a test can hold requests at `gate` before they answer. */
function lessor() {
  const revoked: string[] = [];
  let issued = 0;
  let gate: Promise<void> = Promise.resolve();
  const size = { padding: 0 };
  const engine = defineEngine({
    type: 'lessor',
    help: 'test leases',
    paths: [
      definePath({
        pattern: 'creds',
        operations: {
          read: async () => {
            const name = `user-${++issued}`;
            await gate;
            return {
              data: size.padding ? { name, padding: 'x'.repeat(size.padding) } : { name },
              secret: { type: 'creds', ttlSeconds: 60, renewable: true, internalData: { name } },
            };
          },
        },
        help: 'a credential',
      }),
      definePath({
        // Answers with the caller's own token in wire form, as a token renewal does.
        pattern: 'renew-like',
        operations: {
          update: async (_ctx, _input, req) => {
            await gate;
            return { auth: { policies: [], wire: { accessor: req.caller?.accessor } } };
          },
        },
        help: 'the caller token, renewed',
      }),
    ],
    secrets: [
      {
        type: 'creds',
        async revoke(_ctx, lease) {
          revoked.push(String(lease.internalData.name));
        },
      },
    ],
  });
  return {
    engine,
    revoked,
    /** Pads each credential's data to this many bytes (0: none). */
    size,
    hold(): () => void {
      const opener: { open?: () => void } = {};
      gate = new Promise<void>((resolve) => {
        opener.open = resolve;
      });
      return () => opener.open?.();
    },
  };
}

async function setUp() {
  const stub = lessor();
  const physical = new InmemBackend();
  const { core, rootToken, send: call } = await startDevCore({ engines: [stub.engine], physical });
  await call('update', 'sys/mounts/lessor', rootToken, { type: 'lessor' });
  const newToken = async (data: Record<string, unknown>) =>
    String((await call('update', 'auth/token/create', rootToken, data)).auth?.client_token);
  return { core, stub, rootToken, call, newToken, physical };
}

test("a batch token's lease is capped to the token's remaining TTL (CVE-2020-25816)", async () => {
  const { core, call, newToken } = await setUp();
  const batch = await newToken({ type: 'batch', ttl: '3s' });
  const issued = await call('read', 'lessor/creds', batch);
  assert.ok(issued.leaseDuration > 0 && issued.leaseDuration <= 3, `lease of ${issued.leaseDuration} s`);
  const lease = await core.unsealed.expiration.lookup(issued.leaseId);
  assert.ok(lease && lease.maxExpireTime <= core.clock.now() + 3000, 'renewal cannot pass the token either');
  // A service token's lease keeps the engine's TTL.
  const service = await call('read', 'lessor/creds', await newToken({ ttl: '3s' }));
  assert.equal(service.leaseDuration, 60);
  await core.sealVault();
});

test('a lease whose request finishes after its token was revoked is revoked at once', async () => {
  const { core, stub, rootToken, call, newToken } = await setUp();
  const token = await newToken({ policies: ['root'] });
  const open = stub.hold();
  const pending = call('read', 'lessor/creds', token);
  await sleep(20); // the request is inside the engine, past its token check
  await call('update', 'auth/token/revoke', rootToken, { token });
  open();
  const issued = await pending;
  assert.deepEqual(stub.revoked, ['user-1'], 'the credential is revoked at its source');
  assert.equal(await core.unsealed.expiration.lookup(issued.leaseId), undefined);
  await core.sealVault();
});

test('a num_uses=3 token: exactly three concurrent requests run, and every lease they made is revoked', async () => {
  const { core, stub, call, newToken } = await setUp();
  const token = await newToken({ policies: ['root'], num_uses: 3 });
  const open = stub.hold();
  const settled = Promise.allSettled(Array.from({ length: 10 }, () => call('read', 'lessor/creds', token)));
  await sleep(20);
  open();
  const results = await settled;
  const ok = results.filter((r) => r.status === 'fulfilled');
  assert.equal(ok.length, 3);
  assert.deepEqual([...stub.revoked].sort(), ['user-1', 'user-2', 'user-3']);
  await core.sealVault();
});

test('a token that reaches its TTL is revoked with its lease, and leaves no due entry behind', async () => {
  const { core, stub, call, newToken, physical } = await setUp();
  const token = await newToken({ policies: ['root'], ttl: '1s' });
  const issued = await call('read', 'lessor/creds', token);
  const dueKeys = async () => (await physical.list('sys/expire/due/')).length;
  assert.ok((await dueKeys()) > 0, 'the token and its lease are indexed by expiry');
  for (let waited = 0; waited < 5000 && (await core.unsealed.tokens.lookup(token)); waited += 100)
    await sleep(100);
  await sleep(200);
  assert.equal(await core.unsealed.tokens.lookup(token), undefined);
  assert.deepEqual(stub.revoked, ['user-1']);
  assert.equal(await core.unsealed.expiration.lookup(issued.leaseId), undefined);
  assert.equal(await dueKeys(), 0, 'no due entry outlives what it was for');
  await core.sealVault();
});

test('a wrapped response goes with its wrapping token: when revoked, and when it expires unused (SECURITY.md C6)', async () => {
  const { core, call, rootToken, physical } = await setUp();
  const records = async () => (await physical.list('sys/wrapping/')).length;
  const wrap = async (ttlSeconds: number) => {
    const data = { secret: 'wrapped' };
    const res = await call('update', 'sys/wrapping/wrap', rootToken, data, { wrapTtlSeconds: ttlSeconds });
    return String(res.wrapInfo?.accessor);
  };
  const revokedOne = await wrap(300);
  await wrap(1);
  assert.equal(await records(), 2);
  await call('update', 'auth/token/revoke-accessor', rootToken, { accessor: revokedOne });
  assert.equal(await records(), 1, 'the revoked token took its response');
  for (let waited = 0; (await records()) > 0 && waited < 5000; waited += 100) await sleep(100);
  assert.equal(await records(), 0, 'the expired token took its response');
  await core.sealVault();
});

test('a credential its client never receives is revoked: made after the deadline, or its wrapping failed', async () => {
  const { core, stub, rootToken, call } = await setUp();
  const open = stub.hold();
  await assert.rejects(call('read', 'lessor/creds', rootToken, {}, { maxDurationMs: 50 }), (error: Error) => {
    assert.equal(error.message, 'context deadline exceeded');
    return true;
  });
  open();
  for (let i = 0; i < 100 && stub.revoked.length === 0; i++) await sleep(10);
  assert.deepEqual(stub.revoked, ['user-1'], 'the late credential is revoked at its source');
  // A wrapped answer over the 1 MiB storage limit cannot be stored: the 413 leaves no live credential.
  stub.size.padding = 1.1 * 2 ** 20;
  await assert.rejects(
    call('read', 'lessor/creds', rootToken, {}, { wrapTtlSeconds: 60 }),
    /too large|1 MiB|413/,
  );
  assert.deepEqual(stub.revoked, ['user-1', 'user-2']);
  assert.deepEqual(await core.unsealed.expiration.list('lessor/creds/'), []);
  await core.sealVault();
});

test("a renewal that answers after the deadline leaves the caller's token alone: it made nothing", async () => {
  const { core, stub, call, newToken } = await setUp();
  const token = await newToken({ policies: ['root'] });
  const open = stub.hold();
  await assert.rejects(call('update', 'lessor/renew-like', token, {}, { maxDurationMs: 50 }), /deadline/);
  open();
  await sleep(50);
  assert.ok(await core.unsealed.tokens.lookup(token), 'the token a late renewal named is still valid');
  await core.sealVault();
});
