import assert from 'node:assert/strict';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { describe, test } from 'node:test';
import { mountForTest, rejection, type TestMount } from '../../framework/testing.js';
import { x509Library } from './certs.js';
import { createPkiEngine } from './index.js';

const x509 = await x509Library();

async function withCa(role: Record<string, unknown> = {}): Promise<TestMount & { ca: X509Certificate }> {
  const t = await mountForTest(createPkiEngine());
  const root = await t.request('update', 'root/generate/internal', {
    common_name: 'Test Root',
    key_type: 'ec',
    ttl: '720h',
  });
  await t.request('update', 'roles/web', {
    allowed_domains: 'example.com',
    allow_subdomains: true,
    key_type: 'ec',
    max_ttl: '72h',
    ...role,
  });
  return Object.assign(t, { ca: new X509Certificate(String(root?.data?.certificate)) });
}

async function csrFor(names: { cn: string; dns?: string[]; ips?: string[] }, keyType: 'ec' | 'rsa' = 'ec') {
  const algorithm =
    keyType === 'ec'
      ? { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' }
      : {
          name: 'RSASSA-PKCS1-v1_5',
          hash: 'SHA-256',
          publicExponent: new Uint8Array([1, 0, 1]),
          modulusLength: 2048,
        };
  const keys = (await crypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
  const sans = [
    ...(names.dns ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(names.ips ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: `CN=${names.cn}`,
    keys,
    signingAlgorithm: algorithm,
    extensions: sans.length ? [new x509.SubjectAlternativeNameExtension(sans)] : [],
  });
  return csr.toString('pem');
}

describe('pki roles', () => {
  test('a role reads back with Vault defaults for what the write left out, and lists', async () => {
    const t = await mountForTest(createPkiEngine());
    await t.request('update', 'roles/web', { allowed_domains: ['example.com'], ttl: '1h' });
    const data = (await t.request('read', 'roles/web'))?.data;
    assert.equal(data?.ttl, 3600);
    assert.equal(data?.key_type, 'rsa');
    assert.equal(data?.key_bits, 2048);
    assert.equal(data?.allow_localhost, true);
    assert.equal(data?.allow_subdomains, false);
    assert.equal(data?.enforce_hostnames, true);
    assert.deepEqual(data?.key_usage, ['DigitalSignature', 'KeyAgreement', 'KeyEncipherment']);
    // A second write replaces the role: ttl goes back to its default.
    await t.request('update', 'roles/web', { allowed_domains: ['example.com'], key_type: 'ec' });
    const again = (await t.request('read', 'roles/web'))?.data;
    assert.equal(again?.ttl, 0);
    assert.equal(again?.key_bits, 256);
    assert.deepEqual((await t.request('list', 'roles/'))?.data?.keys, ['web']);
    await t.request('delete', 'roles/web');
    assert.equal(await t.request('read', 'roles/web'), undefined);
  });

  const refusals = [
    {
      name: 'ttl over max_ttl',
      body: { ttl: '2h', max_ttl: '1h' },
      error: '"ttl" value must be less than "max_ttl" value',
    },
    {
      name: 'a bad CIDR',
      body: { allowed_ip_sans_cidr: '10.0.0.0/33' },
      error: 'invalid CIDR in allowed_ip_sans_cidr: 10.0.0.0/33',
    },
    {
      name: 'an unknown key usage',
      body: { key_usage: 'Teleport' },
      error: 'unrecognized key_usage value: Teleport',
    },
    { name: 'small RSA keys', body: { key_bits: 1024 }, error: 'unsupported bit length for RSA key: 1024' },
  ];
  for (const c of refusals) {
    test(`a role with ${c.name} is refused`, async () => {
      const t = await mountForTest(createPkiEngine());
      const error = await rejection(t.request('update', 'roles/r', c.body));
      assert.equal(error.status, 400);
      assert.equal(error.message, c.error);
    });
  }
});

describe('pki issue and sign', () => {
  test('issue returns a key and a certificate the CA signed, with the names asked for', async () => {
    const t = await withCa();
    const data = (
      await t.request('update', 'issue/web', {
        common_name: 'a.example.com',
        alt_names: 'b.example.com',
        ip_sans: '10.0.0.1',
        ttl: '1h',
      })
    )?.data;
    const cert = new X509Certificate(String(data?.certificate));
    assert.ok(cert.verify(t.ca.publicKey));
    assert.ok(cert.checkIssued(t.ca));
    assert.equal(cert.subject, 'CN=a.example.com');
    assert.equal(cert.subjectAltName, 'DNS:a.example.com, DNS:b.example.com, IP Address:10.0.0.1');
    assert.equal(data?.issuing_ca, t.ca.toString().trim());
    assert.deepEqual(data?.ca_chain, [t.ca.toString().trim()]);
    assert.equal(data?.private_key_type, 'ec');
    assert.match(String(data?.private_key), /^-----BEGIN EC PRIVATE KEY-----/);
    assert.ok(cert.checkPrivateKey(createPrivateKey(String(data?.private_key))));
    assert.equal(data?.expiration, Math.floor(t.clock.now() / 1000) + 3600);
    assert.equal(data?.serial_number, cert.serialNumber.toLowerCase().match(/../g)?.join(':'));
    assert.equal(cert.ca, false);
    assert.match(cert.keyUsage?.join(',') ?? '', /1\.3\.6\.1\.5\.5\.7\.3\.1/);
    // Stored by serial (without the key) and listed.
    const stored = (await t.request('read', `cert/${data?.serial_number}`))?.data;
    assert.equal(String(stored?.certificate).trim(), data?.certificate);
    assert.equal(stored?.revocation_time, 0);
    const caSerial = t.ca.serialNumber.toLowerCase().match(/../g)?.join(':');
    const listed = (await t.request('list', 'certs/'))?.data?.keys as string[];
    assert.deepEqual([...listed].sort(), [data?.serial_number, caSerial].sort());
    const dump = JSON.stringify(
      await t.ctx.storage.getJson(`certs/${String(data?.serial_number).replaceAll(':', '-')}`),
    );
    assert.doesNotMatch(dump, /PRIVATE KEY/);
  });

  test('no_store certificates are not kept; rsa and ed25519 roles issue their types', async () => {
    const t = await withCa({ no_store: true, key_type: 'rsa', key_bits: 2048 });
    const data = (await t.request('update', 'issue/web', { common_name: 'a.example.com' }))?.data;
    assert.match(String(data?.private_key), /^-----BEGIN RSA PRIVATE KEY-----/);
    assert.equal(await t.request('read', `cert/${data?.serial_number}`), undefined);
    await t.request('update', 'roles/ed', { allow_any_name: true, key_type: 'ed25519', ttl: '1h' });
    const ed = (await t.request('update', 'issue/ed', { common_name: 'x.test', private_key_format: 'pkcs8' }))
      ?.data;
    assert.equal(new X509Certificate(String(ed?.certificate)).publicKey.asymmetricKeyType, 'ed25519');
    assert.match(String(ed?.private_key), /^-----BEGIN PRIVATE KEY-----/);
  });

  test('the TTL is capped by the role max_ttl with a warning, and never past the CA', async () => {
    const t = await withCa();
    const capped = await t.request('update', 'issue/web', { common_name: 'a.example.com', ttl: '100h' });
    assert.equal(capped?.data?.expiration, Math.floor(t.clock.now() / 1000) + 72 * 3600);
    assert.match(String(capped?.warnings?.[0]), /TTL "100h0m0s" is longer than permitted maxTTL "72h0m0s"/);
    await t.request('update', 'roles/long', { allow_any_name: true, key_type: 'ec', max_ttl: '8760h' });
    const error = await rejection(t.request('update', 'issue/long', { common_name: 'a.test', ttl: '1000h' }));
    assert.match(
      error.message,
      /^cannot satisfy request, as TTL would result in notAfter of .* that is beyond the expiration of the CA certificate at /,
    );
  });

  const refusals = [
    {
      name: 'a wildcard when allow_subdomains=false (CVE-2022-25243)',
      role: { allow_subdomains: false, allow_bare_domains: true },
      body: { common_name: '*.example.com' },
      error: 'common name *.example.com not allowed by this role',
    },
    {
      name: 'a name outside the domains',
      role: {},
      body: { common_name: 'a.example.org' },
      error: 'common name a.example.org not allowed by this role',
    },
    {
      name: 'a SAN outside the domains',
      role: {},
      body: { common_name: 'a.example.com', alt_names: 'evil.test' },
      error: 'subject alternate name evil.test not allowed by this role',
    },
    {
      name: 'an IP SAN outside the CIDRs',
      role: { allowed_ip_sans_cidr: '10.0.0.0/8' },
      body: { common_name: 'a.example.com', ip_sans: '192.168.0.1' },
      error: 'IP Subject Alternative Name 192.168.0.1 not allowed by this role',
    },
    {
      name: 'IP SANs when the role allows none',
      role: { allow_ip_sans: false },
      body: { common_name: 'a.example.com', ip_sans: '10.0.0.1' },
      error: 'IP Subject Alternative Names are not allowed in this role, but was provided [10.0.0.1]',
    },
    {
      name: 'no common name',
      role: {},
      body: {},
      error:
        'the common_name field is required, or must be provided in a CSR with "use_csr_common_name" set to true, unless "require_cn" is set to false',
    },
    {
      name: 'an unknown role',
      role: {},
      body: { common_name: 'a.example.com' },
      error: 'unknown role: nope',
      path: 'issue/nope',
    },
  ];
  for (const c of refusals) {
    test(`issue refuses ${c.name} with 400`, async () => {
      const t = await withCa(c.role);
      const error = await rejection(t.request('update', c.path ?? 'issue/web', c.body));
      assert.equal(error.status, 400);
      assert.equal(error.message, c.error);
    });
  }

  test('sign takes the names from the CSR and signs its key', async () => {
    const t = await withCa();
    const csr = await csrFor({ cn: 'api.example.com', dns: ['api.example.com', 'www.example.com'] });
    const data = (await t.request('update', 'sign/web', { csr }))?.data;
    const cert = new X509Certificate(String(data?.certificate));
    assert.ok(cert.verify(t.ca.publicKey));
    assert.equal(cert.subject, 'CN=api.example.com');
    assert.equal(cert.subjectAltName, 'DNS:api.example.com, DNS:www.example.com');
    assert.equal(data?.private_key, undefined);
  });

  test('sign refuses CSR IP SANs outside allowed_ip_sans_cidr (GHSA-g892-p242-8g86)', async () => {
    const t = await withCa({ allowed_ip_sans_cidr: ['10.0.0.0/8'] });
    const ok = await csrFor({ cn: 'a.example.com', ips: ['10.2.3.4'] });
    assert.ok((await t.request('update', 'sign/web', { csr: ok }))?.data?.certificate);
    const bad = await csrFor({ cn: 'a.example.com', ips: ['10.2.3.4', '172.16.0.1'] });
    const error = await rejection(t.request('update', 'sign/web', { csr: bad }));
    assert.equal(error.status, 400);
    assert.equal(error.message, 'IP Subject Alternative Name 172.16.0.1 not allowed by this role');
  });

  test('IPv4-mapped IP SANs are checked and issued as their IPv4 address, from the API and from CSRs', async () => {
    const t = await withCa({ allowed_ip_sans_cidr: ['10.0.0.0/8'] });
    const issued = await t.request('update', 'issue/web', {
      common_name: 'a.example.com',
      ip_sans: ['::ffff:10.1.2.3'],
    });
    const cert = new X509Certificate(String(issued?.data?.certificate));
    assert.equal(cert.subjectAltName, 'DNS:a.example.com, IP Address:10.1.2.3');
    const outside = await rejection(
      t.request('update', 'issue/web', { common_name: 'a.example.com', ip_sans: ['::ffff:192.168.1.1'] }),
    );
    assert.equal(outside.message, 'IP Subject Alternative Name 192.168.1.1 not allowed by this role');
    const zone = await rejection(
      t.request('update', 'issue/web', { common_name: 'a.example.com', ip_sans: ['fe80::1%eth0'] }),
    );
    assert.equal(zone.message, 'the value "fe80::1%eth0" is not a valid IP address');
    const csr = await csrFor({ cn: 'a.example.com', ips: ['::ffff:a01:203'] });
    const signed = await t.request('update', 'sign/web', { csr });
    const fromCsr = new X509Certificate(String(signed?.data?.certificate));
    assert.equal(fromCsr.subjectAltName, 'DNS:a.example.com, IP Address:10.1.2.3');
  });

  test('an embedded dotted quad in an IPv6 SAN is issued as that address', async () => {
    const t = await withCa();
    const issued = await t.request('update', 'issue/web', {
      common_name: 'a.example.com',
      ip_sans: ['2001:db8::1.2.3.4'],
    });
    const cert = new X509Certificate(String(issued?.data?.certificate));
    assert.equal(cert.subjectAltName, 'DNS:a.example.com, IP Address:2001:DB8:0:0:0:0:102:304');
  });

  test('a key_type=any role never signs an RSA key under 2048 bits', async () => {
    const t = await withCa({ key_type: 'any' });
    const algorithm = {
      name: 'RSASSA-PKCS1-v1_5',
      hash: 'SHA-256',
      publicExponent: new Uint8Array([1, 0, 1]),
      modulusLength: 1024,
    };
    const keys = (await crypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
    const weak = await x509.Pkcs10CertificateRequestGenerator.create({
      name: 'CN=a.example.com',
      keys,
      signingAlgorithm: algorithm,
    });
    const error = await rejection(t.request('update', 'sign/web', { csr: weak.toString('pem') }));
    assert.equal(error.status, 400);
    assert.equal(error.message, 'RSA keys < 2048 bits are unsafe and not supported');
    // A CSR without its PEM armour (bare base64, as Vault's pem.Decode finds no block in it) is refused.
    const pem = await csrFor({ cn: 'a.example.com' }, 'rsa');
    const bare = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
    const unarmoured = await rejection(t.request('update', 'sign/web', { csr: bare }));
    assert.equal(unarmoured.status, 400);
    assert.equal(unarmoured.message, 'csr contains no data');
    assert.ok(
      (await t.request('update', 'sign/web', { csr: await csrFor({ cn: 'a.example.com' }, 'rsa') }))?.data,
    );
  });

  test('sign refuses a wildcard CSR under allow_subdomains=false, a wrong key type and a garbled CSR', async () => {
    const t = await withCa({ allow_subdomains: false, allow_bare_domains: true });
    const wildcard = await csrFor({ cn: '*.example.com' });
    assert.equal(
      (await rejection(t.request('update', 'sign/web', { csr: wildcard }))).message,
      'common name *.example.com not allowed by this role',
    );
    const rsa = await csrFor({ cn: 'example.com' }, 'rsa');
    assert.equal(
      (await rejection(t.request('update', 'sign/web', { csr: rsa }))).message,
      'role requires keys of type ec',
    );
    assert.equal((await rejection(t.request('update', 'sign/web', { csr: 'nonsense' }))).status, 400);
  });

  test('a CSR with a malformed extension is a 400, not a 500', async () => {
    const t = await withCa();
    const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
    const keys = (await crypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
    for (const oid of ['2.5.29.17', '2.5.29.19']) {
      const csr = await x509.Pkcs10CertificateRequestGenerator.create({
        name: 'CN=a.example.com',
        keys,
        signingAlgorithm: algorithm,
        extensions: [new x509.Extension(oid, false, new Uint8Array([1, 2, 3]))],
      });
      const error = await rejection(t.request('update', 'sign/web', { csr: csr.toString('pem') }));
      assert.equal(error.status, 400);
      assert.equal(error.message, 'certificate request could not be parsed');
    }
  });
});
