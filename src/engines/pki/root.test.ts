import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { describe, test } from 'node:test';
import { mountForTest, rejection } from '../../framework/testing.js';
import { createPkiEngine } from './index.js';

const mount = () => mountForTest(createPkiEngine());

describe('pki root CA', () => {
  for (const [keyType, keyBits, algorithm] of [
    ['ec', undefined, 'ec'],
    ['ec', 384, 'ec'],
    ['rsa', undefined, 'rsa'],
    ['ed25519', undefined, 'ed25519'],
  ] as const) {
    test(`root/generate/exported with ${keyType} ${keyBits ?? 'default'} is a self-signed CA`, async () => {
      const t = await mount();
      const data = (
        await t.request('update', 'root/generate/exported', {
          common_name: 'Root X',
          key_type: keyType,
          key_bits: keyBits,
          ttl: '87600h',
        })
      )?.data;
      const cert = new X509Certificate(String(data?.certificate));
      assert.equal(cert.ca, true);
      assert.equal(cert.subject, 'CN=Root X');
      assert.ok(cert.verify(cert.publicKey));
      assert.equal(cert.publicKey.asymmetricKeyType, algorithm);
      assert.match(String(data?.private_key), /PRIVATE KEY-----/);
      assert.equal(data?.private_key_type, keyType);
      assert.equal(data?.serial_number, cert.serialNumber.toLowerCase().match(/../g)?.join(':'));
      assert.equal(data?.expiration, Math.floor(new Date(cert.validTo).getTime() / 1000));
    });
  }

  test('internal keeps the key; the CA is readable in every form', async () => {
    const t = await mount();
    const data = (
      await t.request('update', 'root/generate/internal', { common_name: 'Root', key_type: 'ec' })
    )?.data;
    assert.equal(data?.private_key, undefined);
    const pem = (await t.request('read', 'ca/pem'))?.raw;
    assert.equal(pem?.contentType, 'application/pem-file');
    assert.equal(String(pem?.body).trim(), data?.certificate);
    const der = (await t.request('read', 'ca'))?.raw;
    assert.equal(der?.contentType, 'application/pkix-cert');
    assert.equal(new X509Certificate(Buffer.from(der?.body as Uint8Array)).serialNumber.length > 0, true);
    assert.equal(String((await t.request('read', 'cert/ca'))?.data?.certificate).trim(), data?.certificate);
    assert.equal(String((await t.request('read', 'ca_chain'))?.raw?.body).trim(), data?.certificate);
    const crl = (await t.request('read', 'crl'))?.raw;
    assert.equal(crl?.contentType, 'application/pkix-crl');
    assert.match(String((await t.request('read', 'crl/pem'))?.raw?.body), /BEGIN X509 CRL/);
    // As Vault, the CA is also stored by serial: fetchable and listed, and still never revocable.
    const bySerial = (await t.request('read', `cert/${data?.serial_number}`))?.data;
    assert.equal(String(bySerial?.certificate).trim(), data?.certificate);
    assert.deepEqual((await t.request('list', 'certs/'))?.data?.keys, [data?.serial_number]);
    const error = await rejection(t.request('update', 'revoke', { serial_number: data?.serial_number }));
    assert.equal(error.message, 'adding issuer to its own CRL is not allowed');
  });

  test('the CA read paths are unauthenticated, as in Vault; issuing is not', () => {
    const engine = createPkiEngine();
    for (const path of ['ca', 'ca/pem', 'ca_chain', 'crl', 'crl/pem', 'cert/ca', 'cert/ab:cd', 'cert/crl'])
      assert.equal(engine.isUnauthenticated(path), true, path);
    for (const path of [
      'issue/web',
      'sign/web',
      'roles/web',
      'revoke',
      'tidy',
      'certs/',
      'root/generate/internal',
    ])
      assert.equal(engine.isUnauthenticated(path), false, path);
  });

  test('without a CA the raw reads answer 204 and issuing fails', async () => {
    const t = await mount();
    assert.equal((await t.request('read', 'ca/pem'))?.httpStatus, 204);
    await t.request('update', 'roles/web', { allow_any_name: true });
    const error = await rejection(t.request('update', 'issue/web', { common_name: 'a.example.com' }));
    assert.equal(error.message, 'no default issuer currently configured');
  });

  const refusals = [
    { name: 'no common name', body: {}, error: 'the common_name field is required' },
    {
      name: 'RSA under 2048 bits',
      body: { common_name: 'x', key_bits: 1024 },
      error: 'unsupported bit length for RSA key: 1024',
    },
    {
      name: 'an unknown curve',
      body: { common_name: 'x', key_type: 'ec', key_bits: 255 },
      error: 'unsupported bit length for EC key: 255',
    },
    {
      name: 'an IP SAN that is not an address (a 400, not a 500)',
      body: { common_name: 'x', key_type: 'ec', ip_sans: ['1:2:3:4:5:6:7'] },
      error: 'the value "1:2:3:4:5:6:7" is not a valid IP address',
    },
    {
      name: 'an unknown key type',
      body: { common_name: 'x', key_type: 'dsa' },
      error: 'unknown key type dsa',
    },
  ];
  for (const c of refusals) {
    test(`root/generate refuses ${c.name}`, async () => {
      const t = await mount();
      const error = await rejection(t.request('update', 'root/generate/internal', c.body));
      assert.equal(error.status, 400);
      assert.equal(error.message, c.error);
    });
  }

  test('a TTL past the mount maximum is capped with a warning', async () => {
    const t = await mount();
    const response = await t.request('update', 'root/generate/internal', {
      common_name: 'R',
      key_type: 'ec',
      ttl: '10000h',
    });
    assert.match(
      String(response?.warnings?.[0]),
      /TTL "10000h0m0s" is longer than permitted maxTTL "768h0m0s"/,
    );
    assert.equal(response?.data?.expiration, Math.floor(t.clock.now() / 1000) + 768 * 3600);
  });

  test('config/urls go into issued certificates', async () => {
    const t = await mount();
    await t.request('update', 'config/urls', {
      issuing_certificates: 'http://127.0.0.1:8200/v1/pki/ca',
      crl_distribution_points: ['http://127.0.0.1:8200/v1/pki/crl'],
    });
    const urls = (await t.request('read', 'config/urls'))?.data;
    assert.deepEqual(urls?.crl_distribution_points, ['http://127.0.0.1:8200/v1/pki/crl']);
    await t.request('update', 'root/generate/internal', { common_name: 'R', key_type: 'ec' });
    const cert = new X509Certificate(String((await t.request('read', 'cert/ca'))?.data?.certificate));
    assert.match(String(cert.infoAccess), /CA Issuers - URI:http:\/\/127.0.0.1:8200\/v1\/pki\/ca/);
    const error = await rejection(t.request('update', 'config/urls', { ocsp_servers: 'not a url' }));
    assert.equal(error.status, 400);
  });

  test('config/urls are checked as Vault checks them: javascript: and other non-URLs are refused', async () => {
    const t = await mount();
    for (const url of [
      'javascript:alert(1)',
      'data:text/html,x',
      'http://exa mple.com/ca',
      'http://example.com:80x/ca',
      '.example.com/ca',
      'http://.example.com/ca',
      'abc',
      '/relative/path',
      'http://example.com/{{issuer_id}}/ca',
      'http://example.com/%zz',
    ]) {
      const error = await rejection(t.request('update', 'config/urls', { issuing_certificates: [url] }));
      assert.equal(error.status, 400, url);
      assert.equal(
        error.message,
        `invalid URL found in Authority Information Access (AIA) parameter issuing_certificates: ${url}`,
      );
    }
    // What Vault's check lets through: absolute URLs of any scheme, host:port, a dotted bare path.
    const accepted = [
      'http://127.0.0.1:8200/v1/pki/ca',
      'ldap://ldap.example.com/cn=ca',
      'example.com:8200/ca',
    ];
    await t.request('update', 'config/urls', { ocsp_servers: accepted });
    assert.deepEqual((await t.request('read', 'config/urls'))?.data?.ocsp_servers, accepted);
    // A placeholder is a template's, allowed once templating is on.
    const templated = 'http://example.com/{{issuer_id}}/ca';
    await t.request('update', 'config/urls', { enable_templating: true, issuing_certificates: [templated] });
    assert.deepEqual((await t.request('read', 'config/urls'))?.data?.issuing_certificates, [templated]);
  });
});
