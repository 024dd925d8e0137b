/** `sys/quotas/*` through the real pipeline: Vault's fields, checks and status codes, and what follows mounts. */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { approleEngine } from '../../auth/approle/index.js';
import { kvEngine } from '../../engines/kv/index.js';
import { FakeClock } from '../../framework/clock.js';
import { CofferError } from '../errors.js';
import { DEFAULT_EXEMPT_PATHS } from '../quotas/exempt-paths.js';
import { startDevCore } from '../testing.js';

type Dev = Awaited<ReturnType<typeof startDevCore>>;

async function status(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
    return 200;
  } catch (error) {
    if (error instanceof CofferError) return error.status;
    throw error;
  }
}

async function errorOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof CofferError) return error.message;
    throw error;
  }
  return assert.fail('the request succeeded');
}

describe('sys/quotas', () => {
  let dev: Dev;
  let root: string;
  const clock = new FakeClock();
  before(async () => {
    dev = await startDevCore({ engines: [kvEngine, approleEngine], clock });
    root = dev.rootToken;
    await dev.send('update', 'sys/mounts/kv', root, { type: 'kv', options: { version: '2' } });
    await dev.send('update', 'sys/auth/approle', root, { type: 'approle' });
  });

  test('no quota: nothing is active, and the config shows Vault defaults', async () => {
    assert.equal(dev.core.rateLimits?.active, false);
    const config = await dev.send('read', 'sys/quotas/config', root);
    assert.deepEqual(config.response?.data, {
      enable_rate_limit_audit_logging: false,
      enable_rate_limit_response_headers: false,
      rate_limit_exempt_paths: [...DEFAULT_EXEMPT_PATHS],
    });
  });

  test('create, read and list a quota in Vault wire shape', async () => {
    await dev.send('update', 'sys/quotas/rate-limit/kv-limit', root, {
      path: 'kv/',
      rate: 897.3,
      interval: '2m',
      block_interval: '5m',
    });
    const read = await dev.send('read', 'sys/quotas/rate-limit/kv-limit', root);
    assert.deepEqual(read.response?.data, {
      block_interval: 300,
      inheritable: false,
      interval: 120,
      name: 'kv-limit',
      path: 'kv/',
      rate: 897.3,
      role: '',
      type: 'rate-limit',
    });
    const list = await dev.send('list', 'sys/quotas/rate-limit/', root);
    assert.deepEqual(list.response?.data?.keys, ['kv-limit']);
    assert.equal(dev.core.rateLimits?.active, true);
  });

  test('a path under a mount, and a global quota; a write replaces every field', async () => {
    await dev.send('update', 'sys/quotas/rate-limit/app', root, { path: 'kv/data/app/*', rate: 2 });
    await dev.send('update', 'sys/quotas/rate-limit/global', root, { rate: 100, block_interval: 30 });
    const app = await dev.send('read', 'sys/quotas/rate-limit/app', root);
    assert.equal(app.response?.data?.path, 'kv/data/app/*');
    assert.equal(app.response?.data?.interval, 1, 'the default interval is 1s');
    await dev.send('update', 'sys/quotas/rate-limit/global', root, { rate: 50 });
    const global = await dev.send('read', 'sys/quotas/rate-limit/global', root);
    assert.deepEqual([global.response?.data?.block_interval, global.response?.data?.inheritable], [0, true]);
  });

  const refusals = [
    { name: 'no rate', body: { path: 'kv/' }, error: "'rate' is invalid" },
    { name: 'a zero rate', body: { rate: 0 }, error: "'rate' is invalid" },
    { name: 'a negative block interval', body: { rate: 1, block_interval: -5 }, error: "'block' is invalid" },
    { name: 'an unknown mount', body: { rate: 1, path: 'nope/x' }, error: 'invalid mount path "nope/x/"' },
    {
      name: 'a role with a path below the auth mount',
      body: { rate: 1, path: 'auth/approle/login', role: 'r' },
      error:
        'Quotas cannot contain both a path suffix and a role. If a role is provided, path must be a valid auth mount with a concept of roles',
    },
    {
      name: 'a role on a secrets mount',
      body: { rate: 1, path: 'kv/', role: 'r' },
      error:
        'Mount path "kv/" is not a valid auth method and therefore unsuitable for use with role-based quotas',
    },
    {
      name: 'an inheritable mount quota',
      body: { rate: 1, path: 'kv/', inheritable: true },
      error: 'only namespace quotas can be configured as inheritable',
    },
    {
      name: 'a global quota that is not inheritable',
      body: { rate: 1, inheritable: false },
      error: 'all global quotas must be inheritable',
    },
    {
      name: 'a second quota on a taken scope',
      body: { rate: 1, path: 'kv' },
      error: 'quota rule with similar properties exists under the name "kv-limit"',
    },
  ];
  for (const c of refusals) {
    test(`refused with 400: ${c.name}`, async () => {
      const write = dev.send('update', 'sys/quotas/rate-limit/other', root, c.body);
      assert.equal(await errorOf(write), c.error);
      assert.equal(await status(dev.send('update', 'sys/quotas/rate-limit/other', root, c.body)), 400);
    });
  }

  test('a name outside Vault pattern matches no route; deleting a missing quota is a 204', async () => {
    assert.equal(await status(dev.send('update', 'sys/quotas/rate-limit/-bad', root, { rate: 1 })), 404);
    assert.equal((await dev.send('delete', 'sys/quotas/rate-limit/never-was', root)).response, undefined);
  });

  test("concurrent creates on one scope: exactly one is stored, the other gets Vault's 400", async () => {
    const body = (rate: number) => ({ path: 'kv/data/race', rate, interval: '1h' });
    const outcomes = await Promise.all([
      status(dev.send('update', 'sys/quotas/rate-limit/race-a', root, body(1))),
      status(dev.send('update', 'sys/quotas/rate-limit/race-b', root, body(1000))),
    ]);
    assert.deepEqual([...outcomes].sort(), [200, 400]);
    const winner = outcomes[0] === 200 ? 'race-a' : 'race-b';
    const limits = dev.core.rateLimits!;
    assert.equal(limits.check('kv/data/race', '192.0.2.9')?.limit, winner === 'race-a' ? 1 : 1000);
    await dev.send('delete', `sys/quotas/rate-limit/${winner}`, root);
    assert.notEqual(limits.check('kv/data/race', '192.0.2.9')?.limit, winner === 'race-a' ? 1 : 1000);
  });

  test('the checks the HTTP layer asks for: the most specific quota, exempt paths', async () => {
    const limits = dev.core.rateLimits!;
    // app: 2 per second on kv/data/app/*; kv-limit: 897 per 2 minutes; global: 50 per second.
    const verdicts = [1, 2, 3].map(() => limits.check('kv/data/app/x', '192.0.2.1')?.allowed);
    assert.deepEqual(verdicts, [true, true, false]);
    assert.equal(limits.check('kv/data/other', '192.0.2.1')?.limit, 897);
    assert.equal(limits.check('sys/mounts', '192.0.2.1')?.limit, 50);
    assert.equal(limits.check('sys/health', '192.0.2.1'), undefined, 'exempt by default');
  });

  test('config: every write replaces all three settings, as in Vault', async () => {
    await dev.send('update', 'sys/quotas/config', root, {
      enable_rate_limit_response_headers: true,
      rate_limit_exempt_paths: ['sys/health', 'kv/data/app/'],
    });
    assert.equal(dev.core.rateLimits!.check('kv/data/app/x', '192.0.2.1'), undefined, 'now exempt');
    await dev.send('update', 'sys/quotas/config', root, { enable_rate_limit_audit_logging: true });
    const config = await dev.send('read', 'sys/quotas/config', root);
    assert.deepEqual(config.response?.data, {
      enable_rate_limit_audit_logging: true,
      enable_rate_limit_response_headers: false,
      rate_limit_exempt_paths: [],
    });
    assert.notEqual(dev.core.rateLimits!.check('sys/health', '192.0.2.1'), undefined, 'nothing is exempt');
  });

  test('quotas and config survive a seal and unseal; counters start afresh', async () => {
    await dev.core.sealVault();
    assert.equal(dev.core.rateLimits, undefined, 'a sealed server limits nothing');
    await dev.unseal();
    assert.deepEqual((await dev.send('list', 'sys/quotas/rate-limit/', root)).response?.data?.keys, [
      'app',
      'global',
      'kv-limit',
    ]);
    const config = await dev.send('read', 'sys/quotas/config', root);
    assert.equal(config.response?.data?.enable_rate_limit_audit_logging, true);
    assert.equal(dev.core.rateLimits!.check('kv/data/app/x', '192.0.2.1')?.remaining, 1);
  });

  test('a remounted mount takes its quotas along; a disabled one deletes them', async () => {
    await dev.send('update', 'sys/remount', root, { from: 'kv', to: 'kv2' });
    const moved = await dev.send('read', 'sys/quotas/rate-limit/app', root);
    assert.equal(moved.response?.data?.path, 'kv2/data/app/*');
    await dev.send('delete', 'sys/mounts/kv2', root);
    assert.deepEqual((await dev.send('list', 'sys/quotas/rate-limit/', root)).response?.data?.keys, [
      'global',
    ]);
    await dev.core.sealVault();
    await dev.unseal();
    assert.equal((await dev.send('read', 'sys/quotas/rate-limit/kv-limit', root)).response, undefined);
  });

  test('quotas need ordinary ACL capabilities on their paths, not sudo', async () => {
    await dev.send('update', 'sys/policies/acl/quota-admin', root, {
      policy: 'path "sys/quotas/*" { capabilities = ["create", "read", "update", "delete", "list"] }',
    });
    const created = await dev.send('update', 'auth/token/create', root, { policies: ['quota-admin'] });
    const token = String(created.auth?.client_token);
    await dev.send('update', 'sys/quotas/rate-limit/by-admin', token, { rate: 5, path: 'auth/approle/' });
    assert.equal((await dev.send('read', 'sys/quotas/rate-limit/by-admin', token)).response?.data?.rate, 5);
    const plain = await dev.send('update', 'auth/token/create', root, { policies: ['default'] });
    const denied = dev.send('read', 'sys/quotas/config', String(plain.auth?.client_token));
    assert.equal(await status(denied), 403);
  });
});
