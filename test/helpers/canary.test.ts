/** The K1 canary sweep's own checks: it finds a planted secret in every form, and only real ones. */
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import {
  canaryForms,
  findCanaries,
  noteExchange,
  registerCanary,
  registeredCanaries,
  resetSweep,
  snapshotLogsUnder,
  sweep,
  watchErrorBody,
  watchFile,
  watchOutput,
} from './canary.js';

afterEach(resetSweep);

const secret = () => `hvs.${randomBytes(18).toString('base64url')}`;
const hits = (text: string, value: string) =>
  findCanaries(text, [{ value, label: 'the secret' }], 'text').map((h) => h.form);

test('a raw, hex or base64 secret is found, base64 at every alignment inside a larger blob', () => {
  const value = secret();
  assert.deepEqual(hits(`level=warn token=${value} done`, value), ['raw']);
  assert.deepEqual(hits(`x ${Buffer.from(value).toString('hex')} y`, value), ['hex']);
  assert.deepEqual(hits(Buffer.from(value).toString('hex').toUpperCase(), value), ['hex']);
  for (let prefix = 0; prefix < 6; prefix++) {
    const blob = Buffer.concat([randomBytes(prefix), Buffer.from(value), randomBytes(prefix % 4)]);
    assert.ok(hits(blob.toString('base64'), value).includes('base64'), `base64, ${prefix} bytes before`);
    const url = blob.toString('base64url');
    assert.ok(hits(url, value).length > 0, `base64url, ${prefix} bytes before`);
  }
  // Escaped as a JSON log line or a URL writes it.
  const quoted = `pa"ss\\word-${randomBytes(6).toString('hex')}`;
  assert.deepEqual(hits(JSON.stringify({ msg: quoted }), quoted), ['raw (JSON-escaped)']);
  assert.deepEqual(hits(`/v1/x?p=${encodeURIComponent('a b/c&d=e?f')}`, 'a b/c&d=e?f'), [
    'raw (URL-encoded)',
  ]);
});

test('no hit on an HMAC of the secret, on other secrets, or on secrets too short to search', () => {
  const value = secret();
  const salt = randomBytes(32);
  const hmac = `hmac-sha256:${createHmac('sha256', salt).update(value).digest('hex')}`;
  const auditLine = JSON.stringify({
    type: 'response',
    auth: { client_token: hmac },
    request: { path: 'kv/data/a' },
  });
  assert.deepEqual(hits(auditLine, value), []);
  assert.deepEqual(hits(`token=${secret()} ${Buffer.from(secret()).toString('base64')}`, value), []);
  assert.deepEqual(canaryForms('1234567'), []);
  registerCanary('short', 'a short secret');
  registerCanary('{{password}}', 'a template');
  registerCanary(42, 'not a string');
  assert.deepEqual(registeredCanaries(), []);
});

test('an API exchange registers its secrets, not LIST keys or names', () => {
  const [root, k1, k2, kv, marked, pgPassword, client] = [1, 2, 3, 4, 5, 6, 7].map(() => secret());
  noteExchange({
    method: 'PUT',
    path: 'sys/init',
    requestBody: { secret_shares: 2, secret_threshold: 2 },
    status: 200,
    responseBody: { keys: [k1, k2], root_token: root },
    responseText: '',
  });
  noteExchange({
    method: 'POST',
    path: 'kv/data/app',
    token: root,
    requestBody: { data: { password: kv, note: `CANARY-${marked}` } },
    status: 200,
    responseBody: {},
    responseText: '',
  });
  noteExchange({
    method: 'POST',
    path: 'database/config/pg',
    token: root,
    requestBody: { connection_url: `postgresql://admin:${pgPassword}@db:5432/x`, username: 'administrator' },
    status: 204,
    responseText: '',
  });
  noteExchange({
    method: 'POST',
    path: 'auth/userpass/login/alice',
    requestBody: { password: 'correct horse' },
    status: 200,
    responseBody: { auth: { client_token: client, accessor: 'accessor-not-secret' } },
    responseText: '',
  });
  noteExchange({
    method: 'LIST',
    path: 'kv/metadata/?list=true',
    token: root,
    status: 200,
    responseBody: { data: { keys: ['application-one', 'application-two'] } },
    responseText: '',
  });
  const values = new Set(registeredCanaries().map((c) => c.value));
  for (const expected of [root, k1, k2, kv, `CANARY-${marked}`, pgPassword, client, 'correct horse']) {
    assert.ok(values.has(expected), `registered: ${expected}`);
  }
  for (const name of ['administrator', 'accessor-not-secret', 'application-one']) {
    assert.equal(values.has(name), false, `not registered: ${name}`);
  }
});

test('the sweep finds a planted secret in an output, an audit log (also once deleted) and an error body', async () => {
  const value = secret();
  const dir = await mkdtemp(join(tmpdir(), 'coffer-canary-'));
  try {
    registerCanary(value, 'root token');
    let output = 'Listener: http://127.0.0.1:1\n';
    watchOutput('a server', () => output);
    const audit = join(dir, 'audit.log');
    await writeFile(audit, '{"auth":{"client_token":"hmac-sha256:00"}}\n');
    watchFile(audit);
    watchErrorBody('PUT sys/x → 400', '{"errors":["bad request"]}');
    assert.deepEqual(sweep(), []);

    output += `[ERROR] lookup failed for ${Buffer.from(value).toString('base64')}\n`;
    await writeFile(join(dir, 'rotated.log.1'), `{"error":"${value}"}\n`);
    await snapshotLogsUnder(dir);
    await rm(dir, { recursive: true, force: true });
    watchErrorBody('PUT sys/y → 500', `{"errors":["${Buffer.from(value).toString('hex')}"]}`);
    const found = sweep().map((h) => `${h.source}: ${h.form}`);
    assert.deepEqual(found, [
      'output of a server: base64',
      `audit log ${join(dir, 'rotated.log.1')}: raw`,
      'error body of PUT sys/y → 500: hex',
    ]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
