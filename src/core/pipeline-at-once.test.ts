/**
 * The pipeline answers a request at once when every stage does (a cached read, no audit device): no
 * promise, nothing left in flight. Everything else keeps its order: a failure is still a rejection,
 * never a throw, and a token's last use is still revoked after the request it allowed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defineEngine } from '../framework/engine.js';
import { definePath } from '../framework/path.js';
import { CofferError } from './errors.js';
import { handleRequest } from './pipeline.js';
import type { IncomingRequest } from './request-types.js';
import { startDevCore } from './testing.js';

/** `fixed` answers at once, as a cached KV read does. */
const instant = defineEngine({
  type: 'instant',
  help: 'answers at once',
  paths: [
    definePath({
      pattern: 'fixed',
      operations: { read: () => ({ data: { value: 'v' } }) },
      help: 'a fixed answer',
    }),
  ],
});

async function setup() {
  // A seal waits up to its grace period for the requests in flight: one left behind would hold it 10 s.
  const dev = await startDevCore({ engines: [instant], sealGraceMs: 10_000 });
  await dev.send('update', 'sys/mounts/instant', dev.rootToken, { type: 'instant' });
  const read = (token: string | undefined, path = 'instant/fixed') =>
    handleRequest(dev.core, {
      id: 'r',
      path,
      operation: 'read',
      data: {},
      token,
      clientAddr: '127.0.0.1',
      headers: {},
    } satisfies IncomingRequest);
  return { ...dev, read };
}

test('a read every stage answers at once is answered without a promise, and leaves nothing in flight', async () => {
  const { core, rootToken, read } = await setup();
  await read(rootToken); // the token and its ACL are cached from here on
  const answer = read(rootToken);
  assert.ok(!(answer instanceof Promise), 'the cached read went through a promise');
  assert.deepEqual(answer.response?.data, { value: 'v' });
  const started = Date.now();
  await core.sealVault();
  assert.ok(Date.now() - started < 5_000, 'the seal waited for a request that had ended');
});

test('a refused request fails with a rejection, never a throw', async () => {
  const { core, rootToken, send, read, unseal } = await setup();
  const denied = await send('update', 'sys/policies/acl/nothing', rootToken, {
    policy: 'path "secret/*" { capabilities = ["read"] }',
  }).then(() => send('update', 'auth/token/create', rootToken, { policies: ['nothing'] }));
  const limited = String(denied.auth?.client_token);
  await Promise.resolve(read(limited)).then(
    () => assert.fail('read without a policy for it'),
    () => undefined,
  ); // caches the token and its ACL

  const cases: [string, () => unknown, number][] = [
    ['no token', () => read(undefined), 403],
    ['an unknown token', () => read('hvs.unknown'), 403],
    ['a policy that does not reach the path', () => read(limited), 403],
    ['a path nothing is mounted at', () => read(rootToken, 'nowhere/fixed'), 404],
  ];
  for (const [what, request, status] of cases) {
    const answer = request();
    assert.ok(answer instanceof Promise, `${what}: threw instead of rejecting`);
    await assert.rejects(
      answer,
      (error: unknown) => error instanceof CofferError && error.status === status,
      what,
    );
  }
  await core.sealVault();
  const sealed = read(rootToken);
  assert.ok(sealed instanceof Promise, 'sealed: threw instead of rejecting');
  await assert.rejects(sealed, (error: unknown) => error instanceof CofferError && error.status === 503);
  await unseal();
});

test("a token's last use is answered, then the token is revoked", async () => {
  const { rootToken, send, read } = await setup();
  const created = await send('update', 'auth/token/create', rootToken, { num_uses: 2 });
  const token = String(created.auth?.client_token);
  assert.deepEqual((await read(token)).response?.data, { value: 'v' });
  assert.deepEqual((await read(token)).response?.data, { value: 'v' }, 'the last use was refused');
  await assert.rejects(
    Promise.resolve(read(token)),
    (error: unknown) => error instanceof CofferError && error.status === 403,
    'a third use was allowed',
  );
  await assert.rejects(send('read', 'auth/token/lookup-self', token), 'the spent token still exists');
});
