/** The client's wire behaviour against a recording fake: verbs, paths, headers, bodies and error text. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { VaultClient } from './client.js';
import { ApiError, CurlStringError, TransportError } from './errors.js';
import { envelope, type FakeVault, startFakeVault } from './testing.js';

let fake: FakeVault;
before(async () => {
  fake = await startFakeVault({
    'GET secret/app': { body: envelope({ data: { password: 's3cret' }, lease_duration: 2764800 }) },
    'GET secret/deleted': { status: 404, body: envelope({ data: { metadata: { destroyed: true } } }) },
    'LIST secret/': { body: envelope({ data: { keys: ['a', 'b/'] } }) },
    'PUT secret/app': { status: 204 },
    'PUT secret/missing': { status: 404, body: { errors: [] } },
    'PATCH secret/data/app': { body: envelope({ data: { version: 2 } }) },
    'GET sys/denied': { status: 403, body: { errors: ['1 error occurred:\n\t* permission denied\n\n'] } },
    'GET sys/raw-error': { status: 502, body: 'upstream exploded' },
    'GET sys/flaky': { status: 503, body: { errors: ['Vault is sealed'] } },
    'GET old/path': { status: 307, headers: { Location: '/v1/secret/app' } },
    'PUT sys/wrapping/unwrap': { body: envelope({ data: { unwrapped: true } }) },
  });
});
after(() => fake.close());

const client = (extra: Partial<ConstructorParameters<typeof VaultClient>[0]> = {}) =>
  new VaultClient({ address: fake.address, token: 'hvs.root', ...extra });

describe('VaultClient', () => {
  test('read sends GET with the token and request headers and parses the envelope', async () => {
    const c = client();
    const secret = await c.read('secret/app', { version: '2' });
    c.close();
    assert.deepEqual(secret?.data, { password: 's3cret' });
    assert.equal(secret?.lease_duration, 2764800);
    const req = fake.requests.at(-1)!;
    assert.equal(req.method, 'GET');
    assert.equal(req.path, 'secret/app');
    assert.equal(req.query.get('version'), '2');
    assert.equal(req.headers['x-vault-token'], 'hvs.root');
    assert.equal(req.headers['x-vault-request'], 'true');
    assert.equal(req.headers['x-vault-wrap-ttl'], undefined);
  });

  test('read of nothing is undefined; a 404 that still has data is kept', async () => {
    const c = client();
    assert.equal(await c.read('secret/nothing'), undefined);
    assert.deepEqual((await c.read('secret/deleted'))?.data, { metadata: { destroyed: true } });
    c.close();
  });

  test('list uses the LIST verb', async () => {
    const c = client();
    const secret = await c.list('secret/');
    c.close();
    assert.deepEqual(secret?.data?.keys, ['a', 'b/']);
    assert.equal(fake.requests.at(-1)!.method, 'LIST');
  });

  test('write sends a JSON body with PUT; 204 gives undefined; a 404 is an error', async () => {
    const c = client();
    assert.equal(await c.write('secret/app', { password: 'x' }), undefined);
    const req = fake.requests.at(-1)!;
    assert.equal(req.method, 'PUT');
    assert.equal(req.headers['content-type'], 'application/json');
    assert.deepEqual(req.body, { password: 'x' });
    await assert.rejects(c.write('secret/missing', { a: 1 }), (error: ApiError) => error.status === 404);
    c.close();
  });

  test('patch uses the merge-patch content type', async () => {
    const c = client();
    await c.patch('secret/data/app', { data: { a: 1 } });
    c.close();
    const req = fake.requests.at(-1)!;
    assert.equal(req.method, 'PATCH');
    assert.equal(req.headers['content-type'], 'application/merge-patch+json');
  });

  test('a non-2xx answer throws ApiError worded like the Go client, without the token', async () => {
    const c = client();
    const error = await c.read('sys/denied').catch((e: unknown) => e);
    c.close();
    assert.ok(error instanceof ApiError);
    assert.equal(error.status, 403);
    assert.deepEqual(error.errors, ['1 error occurred:\n\t* permission denied\n\n']);
    assert.equal(
      error.message,
      `Error making API request.\n\nURL: GET ${fake.address}/v1/sys/denied\nCode: 403. Errors:\n\n* 1 error occurred:\n\t* permission denied\n\n`,
    );
    assert.ok(!error.message.includes('hvs.root'));
  });

  test('a non-JSON error body is shown as the raw message', async () => {
    const c = client();
    const error = (await c.read('sys/raw-error').catch((e: unknown) => e)) as ApiError;
    c.close();
    assert.match(error.message, /Code: 502\. Raw Message:\n\nupstream exploded$/);
  });

  test('wrap TTL and namespace become headers; a request can turn wrapping off', async () => {
    const c = client({ wrapTtl: '5m0s', namespace: 'team-a' });
    await c.read('secret/app');
    let req = fake.requests.at(-1)!;
    assert.equal(req.headers['x-vault-wrap-ttl'], '5m0s');
    assert.equal(req.headers['x-vault-namespace'], 'team-a');
    await c.request({ method: 'GET', path: 'secret/app', wrapTtl: null });
    req = fake.requests.at(-1)!;
    assert.equal(req.headers['x-vault-wrap-ttl'], undefined);
    c.close();
  });

  test('a 307 from a standby is followed once', async () => {
    const c = client();
    const secret = await c.read('old/path');
    c.close();
    assert.deepEqual(secret?.data, { password: 's3cret' });
    assert.deepEqual(
      fake.requests.slice(-2).map((r) => r.path),
      ['old/path', 'secret/app'],
    );
  });

  test('5xx answers are retried only when retries are configured', async () => {
    const before = fake.requests.length;
    const c = client({ maxRetries: 2, retryWaitMs: 1 });
    await assert.rejects(c.read('sys/flaky'), (e: ApiError) => e.status === 503);
    c.close();
    assert.equal(fake.requests.length - before, 3);
  });

  test('a refused connection reads like Go: verb, quoted URL, dial error', async () => {
    const c = new VaultClient({ address: 'http://127.0.0.1:1', token: 't' });
    const error = await c.read('sys/seal-status').catch((e: unknown) => e);
    c.close();
    assert.ok(error instanceof TransportError);
    assert.equal(
      error.message,
      'Get "http://127.0.0.1:1/v1/sys/seal-status": dial tcp 127.0.0.1:1: connect: connection refused',
    );
  });

  test('https to a plain-HTTP listener explains the likely cause', async () => {
    const c = new VaultClient({ address: fake.address.replace('http:', 'https:'), token: 't' });
    const error = await c.read('sys/seal-status').catch((e: unknown) => e);
    c.close();
    assert.ok(error instanceof TransportError);
    assert.match(error.message, /^Get "https:\/\/127\.0\.0\.1:\d+\/v1\/sys\/seal-status": /);
    assert.match(error.message, /answered in plain HTTP/);
  });

  test('outputCurlString builds the command without sending or showing the token', async () => {
    const before = fake.requests.length;
    const c = client({ outputCurlString: true, tlsSkipVerify: true });
    const error = await c.write('secret/app', { a: "it's" }).catch((e: unknown) => e);
    assert.ok(error instanceof CurlStringError);
    assert.equal(fake.requests.length, before);
    assert.equal(
      error.curl,
      `curl --insecure -X PUT -H "X-Vault-Request: true" -H "X-Vault-Token: $(vault print token)" -H "Content-Type: application/json" -d '{"a":"it'"'"'s"}' ${fake.address}/v1/secret/app`,
    );
  });

  test('unwrap sends the wrapping token as the header when the client has none, in the body otherwise', async () => {
    const anonymous = new VaultClient({ address: fake.address });
    await anonymous.unwrap('hvs.wrap');
    anonymous.close();
    let req = fake.requests.at(-1)!;
    assert.equal(req.headers['x-vault-token'], 'hvs.wrap');
    assert.equal(req.body, undefined);
    const c = client();
    assert.deepEqual((await c.unwrap('hvs.wrap'))?.data, { unwrapped: true });
    c.close();
    req = fake.requests.at(-1)!;
    assert.equal(req.headers['x-vault-token'], 'hvs.root');
    assert.deepEqual(req.body, { token: 'hvs.wrap' });
  });
});
