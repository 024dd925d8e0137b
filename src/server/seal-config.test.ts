import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inspect } from 'node:util';
import { parseSeal } from './seal-config.js';

const TOKEN = 'hvs.CANARY_seal_token_5f3a';
const block = (body: Record<string, unknown>) => [{ label: 'transit', body }];
const full = { address: 'https://vault:8200', token: TOKEN, key_name: 'autounseal', mount_path: 'transit/' };

describe('seal "transit" config', () => {
  test('no seal block, or seal "shamir": the default Shamir seal', () => {
    assert.equal(parseSeal([], {}), undefined);
    assert.equal(parseSeal([{ label: 'shamir', body: {} }], {}), undefined);
  });

  test('reads the block; the token never prints', () => {
    const seal = parseSeal(block(full), {})!;
    assert.equal(seal.address, 'https://vault:8200');
    assert.equal(seal.keyName, 'autounseal');
    assert.equal(seal.mountPath, 'transit/');
    assert.equal(seal.disableRenewal, false);
    assert.equal(seal.token.reveal(), TOKEN);
    for (const shown of [JSON.stringify(seal), inspect(seal, { depth: 5 }), String(seal.token)])
      assert.equal(shown.includes(TOKEN), false, shown);
  });

  test('key_name, mount_path and disable_renewal from the environment win over the file', () => {
    const seal = parseSeal(block(full), {
      VAULT_TRANSIT_SEAL_KEY_NAME: 'env-key',
      VAULT_TRANSIT_SEAL_MOUNT_PATH: 'env-transit',
      VAULT_TRANSIT_SEAL_DISABLE_RENEWAL: 'true',
    })!;
    assert.deepEqual([seal.keyName, seal.mountPath, seal.disableRenewal], ['env-key', 'env-transit', true]);
  });

  test('address and token from the environment only fill what the file leaves out', () => {
    const env = {
      VAULT_ADDR: 'http://env:8200',
      VAULT_TRANSIT_SEAL_TOKEN: 'from-env',
      VAULT_TOKEN: 'vault-token',
    };
    const fromFile = parseSeal(block(full), env)!;
    assert.deepEqual([fromFile.address, fromFile.token.reveal()], ['https://vault:8200', TOKEN]);
    const fromEnv = parseSeal(block({ key_name: 'k', mount_path: 'transit' }), env)!;
    assert.deepEqual([fromEnv.address, fromEnv.token.reveal()], ['http://env:8200', 'from-env']);
    const vaultToken = parseSeal(block({ key_name: 'k', mount_path: 'transit' }), {
      VAULT_ADDR: 'http://env:8200',
      VAULT_TOKEN: 'vault-token',
    })!;
    assert.equal(vaultToken.token.reveal(), 'vault-token');
  });

  test('TLS settings from the environment only when the file sets none', () => {
    const env = { VAULT_CACERT: '/env/ca.pem', VAULT_SKIP_VERIFY: 'true' };
    assert.deepEqual(parseSeal(block(full), env)!.tls, {
      caCert: '/env/ca.pem',
      clientCert: undefined,
      clientKey: undefined,
      tlsServerName: undefined,
      tlsSkipVerify: true,
    });
    const file = parseSeal(block({ ...full, tls_server_name: 'vault' }), env)!.tls;
    assert.deepEqual([file.caCert, file.tlsServerName, file.tlsSkipVerify], [undefined, 'vault', false]);
  });

  test('VAULT_SEAL_TYPE=transit needs no block', () => {
    const seal = parseSeal([], {
      VAULT_SEAL_TYPE: 'transit',
      VAULT_ADDR: 'http://a:1',
      VAULT_TOKEN: 't',
      VAULT_TRANSIT_SEAL_KEY_NAME: 'k',
      VAULT_TRANSIT_SEAL_MOUNT_PATH: 'm',
    });
    assert.equal(seal?.keyName, 'k');
  });

  const invalid = [
    { name: 'no key_name', body: { ...full, key_name: undefined }, error: 'key_name is required' },
    { name: 'no mount_path', body: { ...full, mount_path: undefined }, error: 'mount_path is required' },
    { name: 'no address', body: { ...full, address: undefined }, error: 'address is required' },
    { name: 'no token', body: { ...full, token: undefined }, error: 'missing token' },
    { name: 'a bad disable_renewal', body: { ...full, disable_renewal: 'maybe' }, error: 'disable_renewal' },
    { name: 'a namespace', body: { ...full, namespace: 'ns1/' }, error: 'namespace is not supported' },
    { name: 'disabled (migration)', body: { ...full, disabled: 'true' }, error: 'seal migration' },
  ];
  for (const c of invalid) {
    test(`refuses ${c.name}, naming no token`, () => {
      assert.throws(
        () => parseSeal(block(c.body), {}),
        (error: Error) => error.message.includes(c.error) && !error.message.includes(TOKEN),
      );
    });
  }

  test('refuses other seal types and a second seal block', () => {
    assert.throws(() => parseSeal([{ label: 'awskms', body: {} }], {}), /unknown seal type: awskms/);
    assert.throws(() => parseSeal([...block(full), ...block(full)], {}), /only one seal block/);
  });
});
