/**
 * Identity tokens through the real request pipeline of a dev core: the calling token's entity ID
 * reaches the handler, and the rotation timer stops at seal and catches up at unseal.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { startDevCore } from '../../../core/testing.js';
import { FakeClock } from '../../../framework/clock.js';
import { InMemoryEntitySource } from './entity-source.js';
import { createOidc } from './index.js';
import { identityEngineOf, testEntity } from './testing.js';

const clock = new FakeClock(Date.now());
const oidc = createOidc({ entities: new InMemoryEntitySource([testEntity()]) });
const { core, rootToken, send, unseal } = await startDevCore({ engines: [identityEngineOf(oidc)], clock });
after(() => core.sealVault());

async function entityToken(): Promise<string> {
  const { token } = await core.unsealed.tokens.create({
    policies: ['root'],
    displayName: 'entity-holder',
    path: 'auth/token/create',
    entityId: 'entity-1',
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
  assert.equal(payload.sub, 'entity-1');
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
  await unseal();
  await oidc.idle(core.unsealed.mounts.route('identity/oidc/key/k')!.ctx);
  const after = await signingKid(await entityToken());
  assert.notEqual(after, before, 'the key rotated at unseal');
});
