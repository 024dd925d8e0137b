import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { advance, mountOidcForTest, type OidcTestMount } from './testing.js';

const HOUR = 3600 * 1000;
const caller = { entityId: 'entity-1' };

async function jwksKids(mount: OidcTestMount): Promise<string[]> {
  const res = await mount.request('read', 'oidc/.well-known/keys');
  return JSON.parse(String(res?.raw?.body)).keys.map((k: { kid: string }) => k.kid);
}

async function storedPublicKeys(mount: OidcTestMount): Promise<string[]> {
  return mount.ctx.storage.list('oidc_tokens/public_keys/');
}

async function setup(rotation = '1h', verification = '1h', ttl = '30m') {
  const mount = await mountOidcForTest();
  await mount.request('update', 'oidc/key/k', {
    rotation_period: rotation,
    verification_ttl: verification,
    allowed_client_ids: '*',
  });
  await mount.request('update', 'oidc/role/r', { key: 'k', ttl });
  return mount;
}

async function verify(mount: OidcTestMount, token: string) {
  const body = JSON.parse(String((await mount.request('read', 'oidc/.well-known/keys'))?.raw?.body));
  return jwtVerify(token, createLocalJWKSet(body), { currentDate: new Date(mount.clock.now()) });
}

test('a new key publishes its signing and next versions', async () => {
  const mount = await setup();
  assert.equal((await jwksKids(mount)).length, 2);
});

test('the key rotates every rotation_period and retired versions leave after verification_ttl', async () => {
  const mount = await setup();
  const [first] = await jwksKids(mount);
  await advance(mount, 50 * 60 * 1000);
  const token = (await mount.request('read', 'oidc/token/r', {}, caller))?.data?.token as string;

  await advance(mount, 10 * 60 * 1000);
  const afterOne = await jwksKids(mount);
  assert.equal(afterOne.length, 3, 'retired, signing and next');
  assert.ok(afterOne.includes(first), 'the retired version is still published');
  assert.equal((await verify(mount, token)).payload.sub, 'entity-1', 'a token it signed still verifies');
  const newToken = (await mount.request('read', 'oidc/token/r', {}, caller))?.data?.token as string;
  assert.notEqual(JSON.parse(Buffer.from(newToken.split('.')[0], 'base64url').toString()).kid, first);

  await advance(mount, HOUR);
  const afterTwo = await jwksKids(mount);
  assert.equal(afterTwo.length, 3);
  assert.ok(!afterTwo.includes(first), 'pruned verification_ttl after it stopped signing');
  assert.ok(!(await storedPublicKeys(mount)).includes(first), 'its public key is deleted from storage');
});

test('a manual rotation with a verification_ttl override retires the old version on that schedule', async () => {
  const mount = await setup('1h', '1h');
  const [first] = await jwksKids(mount);
  await mount.request('update', 'oidc/key/k/rotate', { verification_ttl: '10m' });
  assert.ok((await jwksKids(mount)).includes(first));
  await advance(mount, 11 * 60 * 1000);
  assert.ok(!(await jwksKids(mount)).includes(first));
});

test('a rotation that fell due while sealed happens at unseal', async () => {
  const mount = await setup();
  const before = await jwksKids(mount);
  await mount.oidc.cleanup(mount.ctx); // sealed: no timer runs
  mount.clock.advance(5 * HOUR);
  assert.deepEqual(await jwksKids(mount), before, 'nothing rotated while sealed');
  await mount.oidc.initialize(mount.ctx); // unseal
  const after = await jwksKids(mount);
  assert.equal(after.length, 3, 'one rotation (retired, signing, next), not one per missed period');
  const token = (await mount.request('read', 'oidc/token/r', {}, caller))?.data?.token as string;
  const kid = JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()).kid;
  assert.equal(kid, before[1], 'the version that was next now signs');
});

test('a shorter rotation_period brings the next rotation forward', async () => {
  const mount = await setup('24h', '5m', '5m');
  const [first] = await jwksKids(mount);
  await mount.request('update', 'oidc/key/k', { rotation_period: '1m' });
  await advance(mount, 61 * 1000);
  const kids = await jwksKids(mount);
  assert.equal(kids.length, 3);
  assert.ok(kids.includes(first));
});

test('deleting a key drops its versions from storage', async () => {
  const mount = await setup();
  await mount.request('delete', 'oidc/role/r');
  await mount.request('delete', 'oidc/key/k');
  assert.deepEqual(await storedPublicKeys(mount), []);
});
