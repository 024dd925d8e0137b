/** A server configured with tls_cert_file/tls_key_file serves the API (LIST included) over TLS only. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { registerCanary } from './helpers/canary.js';
import { spawnServer } from './helpers/server.js';

// biome-ignore lint/suspicious/noExplicitAny: arbitrary JSON bodies
type Json = any;

function tlsRequest(
  url: string,
  method: string,
  ca: Buffer,
  body?: unknown,
): Promise<{ status: number; json: Json }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, ca, headers: { 'Content-Type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (c) => {
        text += c;
      });
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : undefined }),
      );
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

test('TLS listener from the HCL config', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'coffer-tls-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-days',
      '1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  const config = join(dir, 'coffer.hcl');
  await writeFile(
    config,
    `storage "inmem" {}\n\nlistener "tcp" {\n  address = "127.0.0.1:0"\n  tls_cert_file = "${cert}"\n  tls_key_file = "${key}"\n  http_read_header_timeout = "1s"\n}\n`,
  );
  const { child, address } = await spawnServer([`-config=${config}`]);
  try {
    assert.match(address, /^https:\/\//);
    const ca = await readFile(cert);
    const init = await tlsRequest(`${address}/v1/sys/init`, 'PUT', ca, {
      secret_shares: 1,
      secret_threshold: 1,
    });
    assert.equal(init.status, 200);
    registerCanary(init.json.root_token, 'root token'); // for the K1 sweep of the server's output
    for (const key of init.json.keys) registerCanary(key, 'unseal key');
    await tlsRequest(`${address}/v1/sys/unseal`, 'PUT', ca, { key: init.json.keys[0] });
    const health = await tlsRequest(`${address}/v1/sys/health`, 'GET', ca);
    assert.equal(health.json.sealed, false);
    await assert.rejects(fetch(`${address.replace('https', 'http')}/v1/sys/health`).then((r) => r.text()));
    // SECURITY.md F3: a connection that never finishes its TLS handshake is closed with the header
    // timeout (1 s here), not held for Node's default two minutes.
    const { hostname, port } = new URL(address);
    const started = performance.now();
    const silent = connect(Number(port), hostname);
    const closedAfter = await new Promise<number>((resolve) => {
      silent.on('close', () => resolve(performance.now() - started));
      silent.on('error', () => undefined);
      setTimeout(() => resolve(Number.POSITIVE_INFINITY), 8000);
    });
    silent.destroy();
    assert.ok(closedAfter < 5000, `a silent TLS connection was still open after ${closedAfter} ms`);
    assert.equal((await tlsRequest(`${address}/v1/sys/health`, 'GET', ca)).json.sealed, false);
  } finally {
    child.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  }
});
