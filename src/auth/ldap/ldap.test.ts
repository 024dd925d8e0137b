import assert from 'node:assert/strict';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'ldapts';
import { FakeClock } from '../../framework/clock.js';
import { mountForTest, rejection, type TestMount } from '../../framework/testing.js';
import { USER_BIND_FAILED } from './directory.js';
import { createLdapEngine } from './index.js';
import { NULL_BIND_DENIED } from './login.js';
import { GROUPS, PEOPLE, startSlapd, type TestDirectory, userDn } from './testing.js';

let directory: TestDirectory;

before(async () => {
  directory = await startSlapd();
  await directory.addUser('alice', 'alice-pw-1');
  await directory.addUser('bob', 'bob-pw-1');
  await directory.addUser('carol', 'carol-pw-1');
  await directory.addGroup('dev', ['alice', 'bob']);
  await directory.addGroup('ops', ['alice']);
  await directory.addGroup('a)b', ['bob']);
});
after(() => directory?.stop());

/** A mount configured to bind users directly (`uid=<name>,ou=people,…`) and search groups as the user. */
async function setup(extra: Record<string, unknown> = {}) {
  const engine = createLdapEngine();
  const clock = new FakeClock();
  const mount = await mountForTest(engine, { clock, mountPath: 'ldap/' });
  await mount.request('update', 'config', {
    url: directory.url,
    userdn: PEOPLE,
    userattr: 'uid',
    groupdn: GROUPS,
    groupfilter: '(&(objectClass=groupOfNames)(member={{.UserDN}}))',
    groupattr: 'cn',
    ...extra,
  });
  await mount.request('update', 'groups/dev', { policies: 'dev-read' });
  await mount.request('update', 'groups/ops', { policies: 'ops-admin,dev-read' });
  return { engine, mount, clock };
}

const BIND_REQUEST = 0x60;
const BIND_RESPONSE = 0x61;
const EXTENDED_RESPONSE = 0x78;

/**
 * A scripted LDAP server for what slapd will not do (stall, answer late). `onRequest` sees each
 * request (short form: 30 <len> 02 01 <id> <op> …) and may `reply` with a success of the given
 * response type after `delayMs`: 30 0c 02 01 <id> <op> 07 0a 01 00 04 00 04 00.
 */
async function fakeLdapServer(
  onRequest: (request: Buffer, reply: (op: number, delayMs: number) => void) => void,
) {
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => undefined);
    socket.on('data', (request) => {
      onRequest(request, (op, delayMs) => {
        const id = request[4];
        const answer = Buffer.from([
          0x30,
          0x0c,
          0x02,
          0x01,
          id,
          op,
          0x07,
          0x0a,
          0x01,
          0x00,
          0x04,
          0x00,
          0x04,
          0x00,
        ]);
        setTimeout(() => socket.write(answer), delayMs);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `ldap://127.0.0.1:${port}`,
    sockets,
    close: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

function login(mount: TestMount, username: string, password: string) {
  return mount.request('update', `login/${username}`, { password });
}

describe('ldap config', () => {
  test('read never returns bindpass or the client key; defaults are Vault’s', async () => {
    const { mount } = await setup({ binddn: directory.rootDn, bindpass: directory.rootPassword });
    const data = (await mount.request('read', 'config'))?.data ?? {};
    assert.equal(data.bindpass, undefined);
    assert.equal(data.client_tls_key, undefined);
    assert.equal(JSON.stringify(data).includes(directory.rootPassword), false);
    assert.equal(data.binddn, directory.rootDn);
    assert.equal(data.deny_null_bind, true);
    assert.equal(data.groupattr, 'cn');
    assert.equal(data.request_timeout, 90);
    assert.equal(data.tls_min_version, 'tls12');
  });

  test('a write changes only what it names; bad templates, TLS versions and URLs are refused', async () => {
    const { mount } = await setup();
    await mount.request('update', 'config', { starttls: false });
    assert.equal((await mount.request('read', 'config'))?.data?.userdn, PEOPLE);
    const cases = [
      { groupfilter: '(member={{.Password}})' },
      { userfilter: '({{ if .X }})' },
      { tls_min_version: 'tls14' },
      { tls_min_version: 'tls13', tls_max_version: 'tls12' },
      { url: 'http://127.0.0.1' },
      { url: 'ldap://a b' },
      { client_tls_cert: 'x', client_tls_key: 'y' },
      { request_timeout: -1 },
      { connection_timeout: '-5s' },
      { userdn: '' },
      { url: `${directory.url},ldap://127.0.0.1:99999` },
      { certificate: 'not a pem' },
    ];
    for (const body of cases) {
      assert.equal(
        (await rejection(mount.request('update', 'config', body))).status,
        400,
        JSON.stringify(body),
      );
    }
  });
});

describe('ldap groups and users', () => {
  test('CRUD and LIST; names are case-insensitive unless case_sensitive_names', async () => {
    const { mount } = await setup();
    await mount.request('update', 'users/Alice', { policies: 'Personal, extra', groups: 'Local1,local2' });
    assert.deepEqual((await mount.request('read', 'users/alice'))?.data, {
      policies: ['extra', 'personal'],
      groups: 'local1,local2',
    });
    assert.deepEqual((await mount.request('read', 'groups/DEV'))?.data, { policies: ['dev-read'] });
    assert.deepEqual((await mount.request('list', 'groups/'))?.data?.keys, ['dev', 'ops']);
    assert.deepEqual((await mount.request('list', 'users/'))?.data?.keys, ['alice']);
    await mount.request('delete', 'groups/Ops');
    assert.equal(await mount.request('read', 'groups/ops'), undefined);
  });

  test('names with a slash are accepted, as Vault’s groups/(?P<name>.+) and users/(?P<name>.+)', async () => {
    const { mount } = await setup();
    await mount.request('update', 'groups/Eng/Platform', { policies: 'platform' });
    await mount.request('update', 'users/ou=x/carol', { policies: 'own', groups: 'eng/platform' });
    assert.deepEqual((await mount.request('read', 'groups/eng/platform'))?.data, { policies: ['platform'] });
    assert.deepEqual((await mount.request('read', 'users/ou=x/carol'))?.data, {
      policies: ['own'],
      groups: 'eng/platform',
    });
    // LIST gives every name whole, as Vault's CollectKeysWithPrefix.
    assert.deepEqual((await mount.request('list', 'groups/'))?.data?.keys, ['dev', 'eng/platform', 'ops']);
    assert.deepEqual((await mount.request('list', 'users/'))?.data?.keys, ['ou=x/carol']);
    // A local group with a slash brings its policies to a login.
    await mount.request('update', 'users/carol', { groups: 'Eng/Platform' });
    assert.deepEqual((await login(mount, 'carol', 'carol-pw-1'))?.auth?.policies, ['platform']);
    await mount.request('delete', 'groups/eng/platform');
    assert.equal(await mount.request('read', 'groups/eng/platform'), undefined);
    assert.deepEqual((await mount.request('list', 'groups/'))?.data?.keys, ['dev', 'ops']);
  });
});

describe('ldap login', () => {
  test('binds as the user; policies = config + user + every group’s', async () => {
    const { mount } = await setup({ token_policies: 'base' });
    await mount.request('update', 'users/alice', { policies: 'personal', groups: 'extra' });
    await mount.request('update', 'groups/extra', { policies: 'from-local-group' });
    const response = await login(mount, 'alice', 'alice-pw-1');
    const auth = response?.auth;
    assert.deepEqual(auth?.policies, ['base', 'dev-read', 'from-local-group', 'ops-admin', 'personal']);
    assert.deepEqual(auth?.metadata, { username: 'alice' });
    assert.deepEqual(auth?.alias, { name: 'alice' });
    assert.equal(auth?.displayName, 'alice');
  });

  test('a name with a slash logs in, as Vault’s login/(?P<username>.+) allows (it was a 404)', async () => {
    const { mount } = await setup();
    await directory.addUser('smith/john', 'smith-pw-1');
    const auth = (await login(mount, 'smith/john', 'smith-pw-1'))?.auth;
    assert.deepEqual(auth?.alias, { name: 'smith/john' });
    const error = await rejection(login(mount, 'smith/john', 'wrong'));
    assert.equal(error.status, 400);
    assert.equal(error.message, USER_BIND_FAILED);
  });

  test('search-then-bind with binddn/bindpass finds the same user', async () => {
    const { mount } = await setup({ binddn: directory.rootDn, bindpass: directory.rootPassword });
    const auth = (await login(mount, 'bob', 'bob-pw-1'))?.auth;
    assert.deepEqual(auth?.policies, ['dev-read']);
  });

  test('discoverdn: the user DN found with an anonymous search; anonymous_group_search', async () => {
    const { mount } = await setup({ discoverdn: true, anonymous_group_search: true });
    assert.deepEqual((await login(mount, 'alice', 'alice-pw-1'))?.auth?.policies, ['dev-read', 'ops-admin']);
    assert.equal((await rejection(login(mount, 'alice', 'wrong'))).message, USER_BIND_FAILED);
  });

  test('case_sensitive_names: local names must then match the directory’s spelling', async () => {
    const { mount } = await setup({ case_sensitive_names: true });
    await mount.request('update', 'users/Alice', { policies: 'capital' });
    assert.deepEqual((await login(mount, 'alice', 'alice-pw-1'))?.auth?.policies, ['dev-read', 'ops-admin']);
    assert.deepEqual((await login(mount, 'Alice', 'alice-pw-1'))?.auth?.policies, [
      'capital',
      'dev-read',
      'ops-admin',
    ]);
  });

  test('username_as_alias: the alias is the login name, one spelling for every variant', async () => {
    const { mount } = await setup({ username_as_alias: true });
    for (const variant of ['ALICE', ' alice ']) {
      assert.deepEqual((await login(mount, variant, 'alice-pw-1'))?.auth?.alias, { name: 'alice' });
    }
  });

  test('a userattr with several values is no alias: a user who adds "uid: alice" to their entry does not become alice', async () => {
    const client = new Client({ url: directory.url });
    await client.bind(directory.rootDn, directory.rootPassword);
    await client.add(userDn('mallory'), {
      objectClass: 'inetOrgPerson',
      uid: ['alice', 'mallory'],
      cn: 'mallory',
      sn: 'mallory',
      userPassword: 'mallory-pw-1',
    });
    await client.unbind();
    // slapd lists uid "alice" first: the old code made it mallory's alias, so alice's entity.
    try {
      const { mount } = await setup();
      assert.deepEqual((await login(mount, 'alice', 'alice-pw-1'))?.auth?.alias, { name: 'alice' });
      const error = await rejection(login(mount, 'mallory', 'mallory-pw-1'));
      assert.equal(error.status, 400);
      assert.equal(
        error.message,
        'LDAP entity alias attribute uid empty or not unique for entity alias mapping',
      );
      // username_as_alias does not read the attribute.
      await mount.request('update', 'config', { username_as_alias: true });
      assert.deepEqual((await login(mount, 'mallory', 'mallory-pw-1'))?.auth?.alias, { name: 'mallory' });
    } finally {
      // A second uid=alice would make every later search for alice ambiguous.
      await directory.deleteUser('mallory');
    }
  });

  test('groups found through memberOf-style groupattr on the group DN (cn of the DN)', async () => {
    const { mount } = await setup({ groupattr: 'memberOfNone' });
    const auth = (await login(mount, 'alice', 'alice-pw-1'))?.auth;
    assert.deepEqual(auth?.policies, ['dev-read', 'ops-admin']);
  });

  const failures = [
    { name: 'wrong password', username: 'alice', password: 'nope' },
    { name: 'unknown user', username: 'mallory', password: 'nope' },
    { name: 'filter injection in the name', username: '*)(uid=*))(|(uid=*', password: 'alice-pw-1' },
    { name: 'DN injection in the name', username: 'alice,ou=people', password: 'alice-pw-1' },
    { name: 'a name of specials', username: '#x\\00 a,b=c+', password: 'x' },
  ];
  for (const binding of ['direct bind', 'search then bind']) {
    for (const c of failures) {
      test(`${binding}: ${c.name} → 400 "${USER_BIND_FAILED}"`, async () => {
        const extra =
          binding === 'direct bind' ? {} : { binddn: directory.rootDn, bindpass: directory.rootPassword };
        const { mount } = await setup(extra);
        const error = await rejection(login(mount, c.username, c.password));
        assert.equal(error.status, 400);
        assert.equal(error.message, USER_BIND_FAILED);
        assert.equal(error.message.includes(c.password), false);
      });
    }
  }

  test('the injected filter reaches slapd escaped', async () => {
    const { mount } = await setup({ binddn: directory.rootDn, bindpass: directory.rootPassword });
    await rejection(login(mount, 'zed*)(uid=*', 'x'));
    assert.match(directory.log(), /filter="\(uid=zed\\2A\\29\\28uid=\\2A\)"/i);
  });

  test('empty password: refused before the directory is asked (deny_null_bind), allowed only when turned off', async () => {
    const { mount } = await setup();
    const error = await rejection(login(mount, 'alice', ''));
    assert.equal(error.status, 400);
    assert.equal(error.message, NULL_BIND_DENIED);
    // This slapd accepts unauthenticated binds: with deny_null_bind off the login would pass.
    await mount.request('update', 'config', { deny_null_bind: false });
    assert.ok((await login(mount, 'alice', ''))?.auth, 'the fixture allows unauthenticated binds');
  });

  test('a group DN with a ")" resolves to its own group and widens nothing', async () => {
    const { mount } = await setup();
    await mount.request('update', 'groups/a)b', { policies: 'odd' });
    assert.deepEqual((await login(mount, 'bob', 'bob-pw-1'))?.auth?.policies, ['dev-read', 'odd']);
    assert.deepEqual((await login(mount, 'alice', 'alice-pw-1'))?.auth?.policies, ['dev-read', 'ops-admin']);
  });

  test('a user without groups gets Vault’s warning', async () => {
    const { mount } = await setup();
    const response = await login(mount, 'carol', 'carol-pw-1');
    assert.deepEqual(response?.auth?.policies, []);
    assert.match(response?.warnings?.[0] ?? '', /no LDAP groups found/);
  });

  test('the warning is about directory groups: local groups from users/ do not silence it (as in Vault)', async () => {
    const { mount } = await setup();
    await mount.request('update', 'users/carol', { groups: 'dev' });
    const response = await login(mount, 'carol', 'carol-pw-1');
    assert.deepEqual(response?.auth?.policies, ['dev-read']);
    assert.deepEqual(response?.warnings, [
      `no LDAP groups found in groupDN '${GROUPS}'; only policies from locally-defined groups available`,
    ]);
    assert.equal((await login(mount, 'alice', 'alice-pw-1'))?.warnings, undefined);
  });

  test('no server at the URL: a 400 that names the host, not the user', async () => {
    const { mount } = await setup({ url: 'ldap://127.0.0.1:1', connection_timeout: 2 });
    const error = await rejection(login(mount, 'alice', 'alice-pw-1'));
    assert.equal(error.status, 400);
    assert.match(error.message, /error connecting to host "ldap:\/\/127\.0\.0\.1:1"/);
    assert.equal(error.message.includes('alice'), false);
  });

  test('starttls against a server without TLS: a 400 naming the host, never a plain-text bind', async () => {
    const { mount } = await setup({ starttls: true });
    const binds = (directory.log().match(/BIND dn="uid=alice,/gi) ?? []).length;
    const error = await rejection(login(mount, 'alice', 'alice-pw-1'));
    assert.equal(error.status, 400);
    assert.equal(error.message, `error connecting to host "${directory.url}": result code 2`);
    assert.equal((directory.log().match(/BIND dn="uid=alice,/gi) ?? []).length, binds);
  });

  test('starttls refused by the first URL: the next URL is tried, with StartTLS too (Vault’s DialLDAP)', async () => {
    // The second server accepts StartTLS and then never speaks TLS: it records what reached it.
    const requests: Buffer[] = [];
    const fake = await fakeLdapServer((request, reply) => {
      requests.push(request);
      if (requests.length === 1) reply(EXTENDED_RESPONSE, 0);
    });
    try {
      const { mount } = await setup({
        url: `${directory.url},${fake.url}`,
        starttls: true,
        request_timeout: 1,
      });
      const binds = (directory.log().match(/BIND dn="uid=alice,/gi) ?? []).length;
      const error = await rejection(login(mount, 'alice', 'alice-pw-1'));
      assert.equal(error.status, 400);
      assert.equal(
        error.message,
        `error connecting to host "${directory.url}": result code 2; ` +
          `error connecting to host "${fake.url}": ETIMEDOUT`,
      );
      // The second server was asked for StartTLS (an extended request), then got the TLS handshake
      // (a record of type 0x16), and no bind in the clear (the client's unbind on close is all else).
      assert.equal(requests[0]?.[5], 0x77);
      assert.equal(requests[1]?.[0], 0x16);
      assert.ok(requests.every((r) => !(r[0] === 0x30 && r[5] === BIND_REQUEST)));
      assert.equal((directory.log().match(/BIND dn="uid=alice,/gi) ?? []).length, binds);
    } finally {
      fake.close();
    }
  });

  test('starttls accepted, then a silent handshake: request_timeout ends the login', async () => {
    // A server that answers the StartTLS request with success and never speaks TLS.
    let answered = false;
    const fake = await fakeLdapServer((_request, reply) => {
      if (answered) return;
      answered = true;
      reply(EXTENDED_RESPONSE, 0);
    });
    try {
      const { mount } = await setup({ url: fake.url, starttls: true, request_timeout: 1 });
      const started = Date.now();
      const guard = new AbortController();
      const outcome = await Promise.race([
        rejection(login(mount, 'alice', 'alice-pw-1')),
        sleep(10_000, undefined, { signal: guard.signal }).catch(() => undefined),
      ]).finally(() => guard.abort());
      assert.ok(outcome, 'the login hung past request_timeout');
      assert.equal(outcome.status, 400);
      assert.match(outcome.message, /^error connecting to host "ldap:\/\/127\.0\.0\.1:\d+": ETIMEDOUT$/);
      assert.ok(Date.now() - started < 5_000);
      // The client closed its socket: the server sees the connection end.
      await sleep(200);
      assert.ok(fake.sockets.every((socket) => socket.destroyed || socket.readableEnded));
    } finally {
      fake.close();
    }
  });

  test('a request_timeout past 24.8 days (720h) is no 1 ms timer: a server that answers in 50 ms still logs in', async () => {
    const fake = await fakeLdapServer((request, reply) => {
      if (request[5] === BIND_REQUEST) reply(BIND_RESPONSE, 50);
    });
    try {
      const { mount } = await setup({
        url: fake.url,
        groupdn: '',
        username_as_alias: true,
        request_timeout: '720h',
        connection_timeout: '720h',
      });
      assert.deepEqual((await login(mount, 'alice', 'alice-pw-1'))?.auth?.alias, { name: 'alice' });
    } finally {
      fake.close();
    }
  });

  test('a dead first URL falls through to the next', async () => {
    const { mount } = await setup({ url: `ldap://127.0.0.1:1,${directory.url}`, connection_timeout: 2 });
    assert.ok((await login(mount, 'alice', 'alice-pw-1'))?.auth);
  });
});

describe('ldap lockout', () => {
  test('5 failures across case and space variants lock the name; the directory is not asked while locked', async () => {
    const { engine, mount } = await setup();
    for (const variant of ['Alice', 'alice', ' alice ', 'ALICE', 'aLiCe']) {
      await rejection(login(mount, variant, 'wrong'));
    }
    const binds = (directory.log().match(/BIND dn="uid=alice,/gi) ?? []).length;
    const locked = await rejection(login(mount, 'alice', 'alice-pw-1'));
    assert.equal(locked.status, 400);
    assert.equal(locked.message, USER_BIND_FAILED);
    assert.equal((directory.log().match(/BIND dn="uid=alice,/gi) ?? []).length, binds);
    assert.deepEqual(await engine.userLockout.lockedUsers(mount.ctx), ['alice']);
  });

  test('spellings the directory folds together share the counter: compatibility forms, inner spaces, zero-width characters', async () => {
    const { engine, mount } = await setup();
    await directory.addUser('dana lee', 'dana-pw-1');
    // slapd binds these as the same entries (NFKC-folded, inner spaces insignificant).
    assert.ok((await login(mount, 'ａｌｉｃｅ', 'alice-pw-1'))?.auth);
    assert.ok((await login(mount, 'dana   lee', 'dana-pw-1'))?.auth);
    for (const variant of ['ａｌｉｃｅ', 'Ａlice', 'aｌice', 'al\u200bice', 'ALIＣＥ']) {
      await rejection(login(mount, variant, 'wrong'));
    }
    for (const variant of ['dana lee', 'dana  lee', 'Dana\u00a0Lee', 'dana\u3000lee', 'ｄａｎａ lee']) {
      await rejection(login(mount, variant, 'wrong'));
    }
    assert.equal((await rejection(login(mount, 'alice', 'alice-pw-1'))).message, USER_BIND_FAILED);
    assert.equal((await rejection(login(mount, 'ａｌｉｃｅ', 'alice-pw-1'))).message, USER_BIND_FAILED);
    assert.equal((await rejection(login(mount, 'dana    lee', 'dana-pw-1'))).message, USER_BIND_FAILED);
    assert.deepEqual(await engine.userLockout.lockedUsers(mount.ctx), ['alice', 'dana lee']);
  });

  test('the lock ends after 15 minutes; a success clears the counter', async () => {
    const { mount, clock } = await setup();
    for (let i = 0; i < 5; i++) await rejection(login(mount, 'bob', 'wrong'));
    clock.advance(15 * 60_000);
    assert.ok((await login(mount, 'bob', 'bob-pw-1'))?.auth);
    for (let i = 0; i < 4; i++) await rejection(login(mount, 'bob', 'wrong'));
    assert.ok((await login(mount, 'bob', 'bob-pw-1'))?.auth);
  });

  test('an empty password does not count (it never reaches the directory)', async () => {
    const { engine, mount } = await setup();
    for (let i = 0; i < 6; i++) await rejection(login(mount, 'alice', ''));
    assert.deepEqual(await engine.userLockout.lockedUsers(mount.ctx), []);
  });
});

describe('ldap renewal', () => {
  async function loginView(mount: TestMount, username: string, password: string) {
    const auth = (await login(mount, username, password))?.auth;
    assert.ok(auth);
    return {
      internalData: auth.internalData ?? {},
      metadata: auth.metadata ?? null,
      policies: auth.policies,
    };
  }

  test('renews while nothing changed, with the config’s token settings', async () => {
    const { engine, mount } = await setup({ token_ttl: '1h', token_max_ttl: '2h' });
    const view = await loginView(mount, 'alice', 'alice-pw-1');
    const renewal = await engine.renewLogin?.(mount.ctx, view);
    assert.deepEqual(renewal, { ttlSeconds: 3600, maxTtlSeconds: 7200, periodSeconds: 0 });
  });

  test('refused when a group’s policies or the membership changed', async () => {
    const { engine, mount } = await setup();
    const view = await loginView(mount, 'alice', 'alice-pw-1');
    await mount.request('update', 'groups/ops', { policies: 'ops-admin,dev-read,more' });
    const error = await rejection(engine.renewLogin?.(mount.ctx, view) ?? Promise.resolve());
    assert.equal(error.message, 'policies have changed, not renewing');
  });

  test('refused when the user is gone from the directory', async () => {
    const { engine, mount } = await setup();
    await directory.addUser('leaving', 'leaving-pw-1');
    await directory.addMember('dev', 'leaving');
    const view = await loginView(mount, 'leaving', 'leaving-pw-1');
    await directory.deleteUser('leaving');
    const error = await rejection(engine.renewLogin?.(mount.ctx, view) ?? Promise.resolve());
    assert.equal(error.status, 400);
    assert.equal(error.message, USER_BIND_FAILED);
  });
});

test('the fixture’s user DNs are what the direct bind builds', () => {
  assert.equal(userDn('alice'), `uid=alice,${PEOPLE}`);
});
