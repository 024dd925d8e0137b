/**
 * The PKI engine over HTTP on the built server, checked with the openssl CLI: issue and verify a
 * certificate, revoke it and find it on the CRL, tidy and find it still there (SECURITY.md D7).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { removeServerDir, startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer;
let dir: string;
const openssl = (...args: string[]) =>
  execFileSync('openssl', args, { cwd: dir, encoding: 'utf8', stdio: 'pipe' });
const file = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return name;
};
const serialHex = (serial: string) => serial.replaceAll(':', '').toUpperCase();

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'coffer-pki-'));
  server = await startTestServer({ storage: 'sqlite' });
  const root = server.rootToken;
  assert.equal((await server.api('POST', 'sys/mounts/pki', { type: 'pki' }, root)).status, 204);
  const ca = await server.api(
    'POST',
    'pki/root/generate/internal',
    { common_name: 'Coffer Test Root', key_type: 'ec', ttl: '720h' },
    root,
  );
  assert.equal(ca.status, 200, ca.text);
  const role = {
    allowed_domains: 'example.com',
    allow_subdomains: true,
    key_type: 'ec',
    max_ttl: '24h',
    allowed_ip_sans_cidr: '10.0.0.0/8',
  };
  assert.equal((await server.api('POST', 'pki/roles/web', role, root)).status, 200);
});
after(async () => {
  await server.stop();
  await removeServerDir(server);
  rmSync(dir, { recursive: true, force: true });
});

test('an issued certificate verifies against the CA with openssl; revoked, it stays on the CRL after tidy', async () => {
  const root = server.rootToken;
  // The CA is readable without a token, as in Vault.
  const caPem = await fetch(`${server.address}/v1/pki/ca/pem`);
  assert.equal(caPem.status, 200);
  assert.equal(caPem.headers.get('content-type'), 'application/pem-file');
  file('ca.pem', await caPem.text());

  const issued = await server.api(
    'POST',
    'pki/issue/web',
    { common_name: 'app.example.com', ip_sans: '10.1.2.3', ttl: '1h' },
    root,
  );
  assert.equal(issued.status, 200, issued.text);
  const { certificate, serial_number: serial, private_key: key } = issued.body.data;
  file('leaf.pem', certificate);
  assert.equal(openssl('verify', '-CAfile', 'ca.pem', 'leaf.pem').trim(), 'leaf.pem: OK');
  const text = openssl('x509', '-noout', '-text', '-in', 'leaf.pem');
  assert.match(text, /Subject: CN ?= ?app\.example\.com/);
  assert.match(text, /DNS:app\.example\.com, IP Address:10\.1\.2\.3/);
  assert.match(text, /TLS Web Server Authentication/);
  file('leaf.key', key);
  const modulus = (args: string[]) => openssl(...args).replace(/^.*-----BEGIN PUBLIC KEY-----/s, '');
  assert.equal(
    modulus(['pkey', '-in', 'leaf.key', '-pubout']),
    modulus(['x509', '-noout', '-pubkey', '-in', 'leaf.pem']),
  );

  const revoked = await server.api('POST', 'pki/revoke', { serial_number: serial }, root);
  assert.equal(revoked.status, 200, revoked.text);
  const crlText = async () => {
    const crl = await fetch(`${server.address}/v1/pki/crl/pem`);
    assert.equal(crl.status, 200);
    file('crl.pem', await crl.text());
    return openssl('crl', '-noout', '-text', '-in', 'crl.pem');
  };
  assert.match(await crlText(), new RegExp(`Serial Number: ${serialHex(serial)}`));
  assert.throws(
    () => openssl('verify', '-crl_check', '-CRLfile', 'crl.pem', '-CAfile', 'ca.pem', 'leaf.pem'),
    /certificate revoked/,
  );

  const tidy = await server.api(
    'POST',
    'pki/tidy',
    { tidy_cert_store: true, tidy_revoked_certs: true, safety_buffer: '1s' },
    root,
  );
  assert.equal(tidy.status, 202, tidy.text);
  assert.match(await crlText(), new RegExp(`Serial Number: ${serialHex(serial)}`));
  const read = await fetch(`${server.address}/v1/pki/cert/${serial}`);
  assert.equal((await read.json()).data.revocation_time, revoked.body.data.revocation_time);
  assert.ok(readFileSync(join(dir, 'crl.pem'), 'utf8').startsWith('-----BEGIN X509 CRL-----'));
});

test('a wildcard under allow_subdomains=false and a CSR with an IP outside the CIDRs are 400s', async () => {
  const root = server.rootToken;
  await server.api(
    'POST',
    'pki/roles/bare',
    { allowed_domains: 'example.com', allow_bare_domains: true, key_type: 'ec' },
    root,
  );
  const wildcard = await server.api('POST', 'pki/issue/bare', { common_name: '*.example.com' }, root);
  assert.equal(wildcard.status, 400);
  assert.deepEqual(wildcard.body, { errors: ['common name *.example.com not allowed by this role'] });

  openssl(
    'req',
    '-new',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    'csr.key',
    '-out',
    'csr.pem',
    '-subj',
    '/CN=api.example.com',
    '-addext',
    'subjectAltName=DNS:api.example.com,IP:192.168.1.1',
  );
  const csr = readFileSync(join(dir, 'csr.pem'), 'utf8');
  const signed = await server.api('POST', 'pki/sign/web', { csr }, root);
  assert.equal(signed.status, 400);
  assert.deepEqual(signed.body, {
    errors: ['IP Subject Alternative Name 192.168.1.1 not allowed by this role'],
  });
  assert.doesNotMatch(server.output(), /PRIVATE KEY/);
});
