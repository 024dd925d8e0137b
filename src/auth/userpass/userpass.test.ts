import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { FakeClock } from '../../framework/clock.js';
import { mountForTest, rejection, type TestMount } from '../../framework/testing.js';
import { createUserpassEngine } from './index.js';
import { createScryptHasher, type PasswordHasher } from './password-hash.js';
import { INVALID_CREDENTIALS } from './paths/login.js';

/** The real scrypt hasher at a test cost, counting what it is asked to do. */
function countingHasher() {
  const real = createScryptHasher({ n: 1024, r: 8, p: 1 });
  const counts = { hash: 0, verify: 0 };
  const hasher: PasswordHasher = {
    hash: (password) => {
      counts.hash++;
      return real.hash(password);
    },
    verify: (password, stored) => {
      counts.verify++;
      return real.verify(password, stored);
    },
    dummy: () => real.dummy(),
  };
  return { hasher, counts };
}

async function setup() {
  const { hasher, counts } = countingHasher();
  const clock = new FakeClock();
  const engine = createUserpassEngine({ hasher });
  const mount = await mountForTest(engine, { clock, mountPath: 'userpass/' });
  await mount.request('update', 'users/Alice', { password: 'correct horse', token_policies: 'reader' });
  return { engine, mount, clock, counts, hasher };
}

function login(mount: TestMount, username: string, password: string) {
  return mount.request('update', `login/${username}`, { password });
}

describe('userpass users', () => {
  test('create, read without the password, list, delete', async () => {
    const { mount } = await setup();
    const read = await mount.request('read', 'users/alice');
    assert.deepEqual(read?.data?.token_policies, ['reader']);
    assert.equal(JSON.stringify(read).includes('correct horse'), false);
    assert.equal(read?.data?.password, undefined);
    assert.deepEqual((await mount.request('list', 'users/'))?.data?.keys, ['alice']);
    await mount.request('delete', 'users/ALICE');
    assert.equal(await mount.request('read', 'users/alice'), undefined);
  });

  test('a new user needs a password', async () => {
    const { mount } = await setup();
    const error = await rejection(mount.request('update', 'users/bob', { token_policies: 'x' }));
    assert.equal(error.status, 400);
    assert.equal(error.message, 'missing password');
  });

  test('updating settings keeps the password; deprecated fields map to token_*', async () => {
    const { mount, counts } = await setup();
    const hashesBefore = counts.hash;
    await mount.request('update', 'users/alice', { policies: 'a,b', ttl: '1h', bound_cidrs: '10.0.0.0/8' });
    assert.equal(counts.hash, hashesBefore);
    const data = (await mount.request('read', 'users/alice'))?.data;
    assert.deepEqual(data?.token_policies, ['a', 'b']);
    assert.equal(data?.token_ttl, 3600);
    assert.deepEqual(data?.token_bound_cidrs, ['10.0.0.0/8']);
    const both = await rejection(mount.request('update', 'users/alice', { ttl: 1, token_ttl: 2 }));
    assert.equal(both.status, 400);
  });

  test('password and policies sub-paths', async () => {
    const { mount } = await setup();
    await mount.request('update', 'users/alice/password', { password: 'new one' });
    await rejection(login(mount, 'alice', 'correct horse'));
    assert.ok((await login(mount, 'alice', 'new one'))?.auth);
    await mount.request('update', 'users/alice/policies', { token_policies: 'writer' });
    assert.deepEqual((await login(mount, 'alice', 'new one'))?.auth?.policies, ['writer']);
    const missing = await rejection(mount.request('update', 'users/nobody/password', { password: 'x' }));
    assert.equal(missing.status, 400);
  });
});

describe('userpass login', () => {
  test('the auth block: policies, metadata, display name, alias', async () => {
    const { mount } = await setup();
    const auth = (await login(mount, 'alice', 'correct horse'))?.auth;
    assert.deepEqual(auth?.policies, ['reader']);
    assert.deepEqual(auth?.metadata, { username: 'alice' });
    assert.equal(auth?.displayName, 'alice');
    assert.deepEqual(auth?.alias, { name: 'alice' });
  });

  test('Alice, alice, " alice " and ALICE are one user', async () => {
    const { mount } = await setup();
    for (const variant of ['Alice', 'alice', ' alice ', 'ALICE']) {
      const auth = (await login(mount, variant, 'correct horse'))?.auth;
      assert.deepEqual(auth?.metadata, { username: 'alice' }, variant);
    }
  });

  const enumerationCases = [
    { name: 'wrong password for a real user', path: 'login/alice', password: 'wrong' },
    { name: 'unknown user', path: 'login/mallory', password: 'wrong' },
    { name: 'empty username', path: 'login/', password: 'wrong' },
    { name: '10 KB username', path: `login/${'a'.repeat(10 * 1024)}`, password: 'wrong' },
  ];
  for (const c of enumerationCases) {
    test(`${c.name}: the same 400 and exactly one password verification`, async () => {
      const { mount, counts } = await setup();
      const before = counts.verify;
      const error = await rejection(mount.request('update', c.path, { password: c.password }));
      assert.equal(error.status, 400);
      assert.equal(error.message, INVALID_CREDENTIALS);
      assert.equal(counts.verify - before, 1);
    });
  }

  test('a missing password is refused before any lookup', async () => {
    const { mount } = await setup();
    const error = await rejection(mount.request('update', 'login/alice', {}));
    assert.equal(error.status, 400);
  });

  test('token_bound_cidrs: a login from outside is refused with 403', async () => {
    const { engine, mount } = await setup();
    await mount.request('update', 'users/alice', { token_bound_cidrs: '10.0.0.0/8' });
    const attempt = (clientAddr: string) =>
      engine.handleRequest(mount.ctx, {
        id: randomUUID(),
        operation: 'update',
        path: 'login/alice',
        data: { password: 'correct horse' },
        mountPoint: 'auth/userpass/',
        clientAddr,
      });
    assert.equal((await rejection(attempt('192.168.1.5'))).status, 403);
    assert.deepEqual((await attempt('10.1.2.3'))?.auth?.boundCidrs, ['10.0.0.0/8']);
  });
});

describe('userpass lockout', () => {
  test('5 failures across case variants lock the user; the 6th attempt, even correct, is refused', async () => {
    const { engine, mount } = await setup();
    for (const variant of ['Alice', 'alice', ' alice ', 'ALICE', 'aLiCe']) {
      await rejection(login(mount, variant, 'wrong'));
    }
    const locked = await rejection(login(mount, 'alice', 'correct horse'));
    assert.equal(locked.status, 400);
    assert.equal(locked.message, INVALID_CREDENTIALS);
    assert.deepEqual(await engine.userLockout.lockedUsers(mount.ctx), ['alice']);
  });

  test('the lock ends after lockout_duration (15 minutes)', async () => {
    const { mount, clock } = await setup();
    for (let i = 0; i < 5; i++) await rejection(login(mount, 'alice', 'wrong'));
    clock.advance(14 * 60_000);
    await rejection(login(mount, 'alice', 'correct horse'));
    clock.advance(60_000);
    assert.ok((await login(mount, 'alice', 'correct horse'))?.auth);
  });

  test('the failure counter resets after 15 quiet minutes', async () => {
    const { mount, clock } = await setup();
    for (let i = 0; i < 4; i++) await rejection(login(mount, 'alice', 'wrong'));
    clock.advance(15 * 60_000);
    for (let i = 0; i < 4; i++) await rejection(login(mount, 'alice', 'wrong'));
    assert.ok((await login(mount, 'alice', 'correct horse'))?.auth);
  });

  test('a successful login clears the counter', async () => {
    const { mount } = await setup();
    for (let i = 0; i < 4; i++) await rejection(login(mount, 'alice', 'wrong'));
    assert.ok(await login(mount, 'alice', 'correct horse'));
    for (let i = 0; i < 4; i++) await rejection(login(mount, 'alice', 'wrong'));
    assert.ok(await login(mount, 'alice', 'correct horse'));
  });

  test('concurrent wrong guesses all count, so none slips past the threshold', async () => {
    const { engine, mount } = await setup();
    const guesses = Array.from({ length: 8 }, () => login(mount, 'alice', 'wrong').catch(() => undefined));
    await Promise.all(guesses);
    await rejection(login(mount, 'alice', 'correct horse'));
    assert.deepEqual(await engine.userLockout.lockedUsers(mount.ctx), ['alice']);
  });

  test('the lock is in storage: a new engine on the same storage (a restart) still refuses', async () => {
    const { mount, hasher } = await setup();
    for (let i = 0; i < 5; i++) await rejection(login(mount, 'alice', 'wrong'));
    const restarted = createUserpassEngine({ hasher });
    const request = (password: string) =>
      restarted.handleRequest(mount.ctx, {
        id: randomUUID(),
        operation: 'update',
        path: 'login/alice',
        data: { password },
        mountPoint: 'auth/userpass/',
      });
    await rejection(request('correct horse'));
    await restarted.userLockout.unlock(mount.ctx, 'ALICE');
    assert.ok((await request('correct horse'))?.auth);
  });

  test('unknown users are not tracked', async () => {
    const { engine, mount } = await setup();
    for (let i = 0; i < 6; i++) await rejection(login(mount, 'mallory', 'wrong'));
    assert.deepEqual(await engine.userLockout.lockedUsers(mount.ctx), []);
  });
});
