/** The transit engine over HTTP on the built server: a token limited to encrypt/decrypt, upsert needing create, errors. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { removeServerDir, startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer;
let appToken: string;
const b64 = (text: string) => Buffer.from(text).toString('base64');

before(async () => {
  server = await startTestServer({ storage: 'sqlite' });
  const root = server.rootToken;
  assert.equal((await server.api('POST', 'sys/mounts/transit', { type: 'transit' }, root)).status, 204);
  assert.equal((await server.api('POST', 'transit/keys/app', {}, root)).status, 200);
  const policy =
    'path "transit/encrypt/app" { capabilities = ["update"] }\npath "transit/decrypt/app" { capabilities = ["update"] }\npath "transit/encrypt/new" { capabilities = ["update"] }\n';
  assert.equal((await server.api('PUT', 'sys/policies/acl/app-crypto', { policy }, root)).status, 204);
  const created = await server.api(
    'POST',
    'auth/token/create',
    { policies: ['app-crypto'], no_default_policy: true },
    root,
  );
  appToken = created.body.auth.client_token;
});
after(async () => {
  await server.stop();
  await removeServerDir(server);
});

test('a token with only encrypt/decrypt on one key round-trips, and can do nothing else', async () => {
  const enc = await server.api('POST', 'transit/encrypt/app', { plaintext: b64('card 4111') }, appToken);
  assert.equal(enc.status, 200, enc.text);
  assert.match(enc.body.data.ciphertext, /^vault:v1:/);
  const dec = await server.api(
    'POST',
    'transit/decrypt/app',
    { ciphertext: enc.body.data.ciphertext },
    appToken,
  );
  assert.equal(dec.status, 200, dec.text);
  assert.equal(Buffer.from(dec.body.data.plaintext, 'base64').toString(), 'card 4111');
  assert.equal((await server.api('GET', 'transit/keys/app', undefined, appToken)).status, 403);
  assert.equal((await server.api('POST', 'transit/keys/app/rotate', {}, appToken)).status, 403);
});

test('encrypt to a missing key needs create: update alone is refused, root upserts', async () => {
  const refused = await server.api('POST', 'transit/encrypt/new', { plaintext: b64('x') }, appToken);
  assert.equal(refused.status, 403, refused.text);
  const upsert = await server.api('POST', 'transit/encrypt/new', { plaintext: b64('x') }, server.rootToken);
  assert.equal(upsert.status, 200, upsert.text);
  const key = await server.api('GET', 'transit/keys/new', undefined, server.rootToken);
  assert.equal(key.body.data.type, 'aes256-gcm96');
  assert.equal(
    (await server.api('POST', 'transit/encrypt/new', { plaintext: b64('y') }, appToken)).status,
    200,
  );
});

test('a tampered ciphertext, a caller nonce and a mixed batch are 400s with Vault bodies', async () => {
  const enc = await server.api('POST', 'transit/encrypt/app', { plaintext: b64('secret value') }, appToken);
  const ciphertext: string = enc.body.data.ciphertext;
  const tampered = `${ciphertext.slice(0, -4)}AAA=`;
  const bad = await server.api('POST', 'transit/decrypt/app', { ciphertext: tampered }, appToken);
  assert.equal(bad.status, 400);
  assert.deepEqual(bad.body, { errors: ['cipher: message authentication failed'] });
  assert.ok(!bad.text.includes(b64('secret value')));
  const nonce = await server.api(
    'POST',
    'transit/encrypt/app',
    { plaintext: b64('x'), nonce: b64('123456789012') },
    appToken,
  );
  assert.deepEqual(nonce.body, { errors: ['provided nonce not allowed for this key'] });
  const batch = await server.api(
    'POST',
    'transit/decrypt/app',
    { batch_input: [{ ciphertext }, { ciphertext: tampered }] },
    appToken,
  );
  assert.equal(batch.status, 400);
  assert.equal(batch.body.data.batch_results[0].plaintext, b64('secret value'));
  assert.equal(batch.body.data.batch_results[1].error, 'cipher: message authentication failed');
});
