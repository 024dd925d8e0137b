/**
 * Identity tokens through the real request pipeline of a dev core: the calling token's entity ID
 * reaches the handler, and the rotation timer stops at seal and catches up at unseal.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { startDevCore } from '../../../core/testing.js';
import { FakeClock } from '../../../framework/clock.js';

// The core's own identity/ mount: the entity store and identity tokens together, as a server has them.
const clock = new FakeClock(Date.now());
const { core, rootToken, send, unseal } = await startDevCore({ engines: [], clock });
after(() => core.sealVault());
const created = await send('update', 'identity/entity', rootToken, { name: 'alice' });
const entityId = String(created.response?.data?.id);

async function entityToken(): Promise<string> {
  const { token } = await core.unsealed.tokens.create({
    policies: ['root'],
    displayName: 'entity-holder',
    path: 'auth/token/create',
    entityId,
  });
  return token;
}

async function signingKid(token: string): Promise<string> {
  const res = await send('read', 'identity/oidc/token/r', token);
  return decodeProtectedHeader(String(res.response?.data?.token)).kid ?? '';
}

test('the built-in identity/ mount issues a token for the calling token’s entity', async () => {
  await send('update', 'identity/oidc/key/k', rootToken, {
    allowed_client_ids: '*',
    rotation_period: '1h',
    verification_ttl: '1h',
  });
  await send('update', 'identity/oidc/role/r', rootToken, { key: 'k', ttl: '30m' });
  const res = await send('read', 'identity/oidc/token/r', await entityToken());
  const jwks = await send('read', 'identity/oidc/.well-known/keys', undefined);
  const { payload } = await jwtVerify(
    String(res.response?.data?.token),
    createLocalJWKSet(JSON.parse(String(jwks.response?.raw?.body))),
    { currentDate: new Date(clock.now()) },
  );
  assert.equal(payload.sub, entityId);
  await assert.rejects(
    send('read', 'identity/oidc/token/r', rootToken),
    /no entity associated with the request's token/,
  );
});

test('sealing stops rotation; a rotation due by unseal happens then', async () => {
  const token = await entityToken();
  const before = await signingKid(token);
  await core.sealVault();
  clock.advance(3 * 3600 * 1000);
  // The sweep of rotations that fell due while sealed runs in the mount's initialize, before unseal returns.
  await unseal();
  const after = await signingKid(await entityToken());
  assert.notEqual(after, before, 'the key rotated at unseal');
});
