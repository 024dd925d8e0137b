/**
 * The identity store against a real server: logins make and reuse entities, entity and group policies
 * apply to existing tokens at once, templated policies follow the entity, and the attacks of
 * SECURITY.md B4 (root through an identity) and B5 (templates and aliases).
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { removeServerDir, startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer;
let root: string;
/** Accessors of the two userpass mounts. */
let upA: string;
let upB: string;

async function ok(method: string, path: string, body?: unknown, token = root) {
  const res = await server.api(method, path, body, token);
  assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${res.text}`);
  return res;
}

async function login(mount: string, user: string) {
  const res = await ok('POST', `auth/${mount}/login/${user}`, { password: 'pw' }, '');
  const auth = res.body.auth as {
    client_token: string;
    entity_id: string;
    policies: string[];
    identity_policies?: string[];
  };
  return { token: auth.client_token, entityId: auth.entity_id, auth };
}

const status = async (method: string, path: string, token: string, body?: unknown) =>
  (await server.api(method, path, body, token)).status;

before(async () => {
  server = await startTestServer({ storage: 'sqlite' });
  root = server.rootToken;
  await ok('POST', 'sys/mounts/secret', { type: 'kv', options: { version: '2' } });
  for (const path of ['shared', 'alice/notes', 'bob/notes', 'team-red/plan', 'team-blue/plan', 'x/y'])
    await ok('POST', `secret/data/${path}`, { data: { v: 'kept under its path' } });
  await ok('PUT', 'sys/policies/acl/shared', {
    policy: 'path "secret/data/shared" { capabilities = ["read"] }',
  });
  await ok('PUT', 'sys/policies/acl/own', {
    policy: 'path "secret/data/{{identity.entity.name}}/*" { capabilities = ["read"] }',
  });
  await ok('POST', 'sys/auth/userpass', { type: 'userpass' });
  await ok('POST', 'sys/auth/userpass2', { type: 'userpass' });
  const auths = (await ok('GET', 'sys/auth')).body.data;
  upA = auths['userpass/'].accessor;
  upB = auths['userpass2/'].accessor;
  for (const user of ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'same'])
    await ok('POST', `auth/userpass/users/${user}`, { password: 'pw' });
  await ok('POST', 'auth/userpass2/users/same', { password: 'pw' });
  await ok('PUT', 'sys/policies/acl/mint', {
    policy: 'path "auth/token/create" { capabilities = ["update"] }',
  });
  await ok('POST', 'auth/userpass/users/gina', { password: 'pw', token_policies: 'mint' });
});
after(async () => {
  await server.stop();
  await removeServerDir(server);
});

describe('login', () => {
  test('a first login creates an entity with an alias on the mount; a second reuses it', async () => {
    const first = await login('userpass', 'alice');
    assert.match(first.entityId, /^[0-9a-f-]{36}$/);
    const entity = (await ok('GET', `identity/entity/id/${first.entityId}`)).body.data;
    assert.match(entity.name, /^entity_[0-9a-f]{8}$/);
    assert.equal(entity.aliases.length, 1);
    assert.equal(entity.aliases[0].mount_accessor, upA);
    assert.equal(entity.aliases[0].name, 'alice');
    assert.equal(entity.aliases[0].mount_path, 'auth/userpass/');
    const lookup = await ok('GET', 'auth/token/lookup-self', undefined, first.token);
    assert.equal(lookup.body.data.entity_id, first.entityId);
    const second = await login('userpass', 'alice');
    assert.equal(second.entityId, first.entityId);
    const ids = (await ok('LIST', 'identity/entity/id')).body.data.keys as string[];
    assert.equal(ids.filter((id) => id === first.entityId).length, 1);
    const byAlias = await ok('POST', 'identity/lookup/entity', {
      alias_name: 'alice',
      alias_mount_accessor: upA,
    });
    assert.equal(byAlias.body.data.id, first.entityId);
  });

  test('the entity ID is in the audit log of the login and of later requests', async () => {
    const { token, entityId } = await login('userpass', 'bob');
    await server.api('GET', 'auth/token/lookup-self', undefined, token);
    const lines = (await readFile(join(server.dir, 'k1-sweep-audit.log'), 'utf8')).trim().split('\n');
    const entries = lines.map((line) => JSON.parse(line));
    const loginResponse = entries.find(
      (e) => e.type === 'response' && e.request.path === 'auth/userpass/login/bob',
    );
    assert.equal(loginResponse?.response.auth.entity_id, entityId);
    const later = entries.filter(
      (e) => e.request.path === 'auth/token/lookup-self' && e.auth?.entity_id === entityId,
    );
    assert.ok(later.length >= 2, 'the request and the response of lookup-self carry the entity ID');
  });

  test("the audit log shows a token's identity policies as they are at each request", async () => {
    await ok('POST', 'auth/userpass/users/audra', { password: 'pw' });
    const { token, entityId } = await login('userpass', 'audra');
    const auditedPolicies = async (marker: string) => {
      await server.api('GET', `secret/data/${marker}`, undefined, token);
      const lines = (await readFile(join(server.dir, 'k1-sweep-audit.log'), 'utf8')).trim().split('\n');
      const request = lines
        .map((line) => JSON.parse(line))
        .find((e) => e.type === 'request' && e.request.path === `secret/data/${marker}`);
      return request?.auth.identity_policies;
    };
    await ok('POST', `identity/entity/id/${entityId}`, { policies: ['shared'] });
    assert.deepEqual(await auditedPolicies('audit-one'), ['shared']);
    assert.deepEqual(await auditedPolicies('audit-two'), ['shared']);
    await ok('POST', `identity/entity/id/${entityId}`, { policies: ['own', 'shared'] });
    assert.deepEqual(await auditedPolicies('audit-three'), ['own', 'shared']);
  });

  test('a child token acts for its parent entity; an orphan does not', async () => {
    const { token, entityId } = await login('userpass', 'gina');
    await ok('POST', `identity/entity/id/${entityId}`, { policies: ['shared'] });
    const child = await ok('POST', 'auth/token/create', { policies: ['default'] }, token);
    assert.equal(child.body.auth.entity_id, entityId);
    assert.deepEqual(child.body.auth.identity_policies, ['shared']);
    assert.deepEqual(child.body.auth.policies, ['default', 'shared']);
    const childToken = child.body.auth.client_token as string;
    assert.equal(await status('GET', 'secret/data/shared', childToken), 200, 'the child acts for the entity');
    const renewed = await ok('POST', 'auth/token/renew-self', {}, childToken);
    assert.deepEqual(renewed.body.auth.identity_policies, ['shared']);
    const orphan = await ok('POST', 'auth/token/create-orphan', {}, root);
    assert.equal(orphan.body.auth.entity_id, '');
  });
});

describe('identity policies', () => {
  test('an entity policy applies to an existing token at once, and its removal at once', async () => {
    const { token, entityId } = await login('userpass', 'carol');
    assert.equal(await status('GET', 'secret/data/shared', token), 403);
    await ok('POST', `identity/entity/id/${entityId}`, { policies: ['shared'] });
    assert.equal(await status('GET', 'secret/data/shared', token), 200);
    const audit = (await readFile(join(server.dir, 'k1-sweep-audit.log'), 'utf8')).trim().split('\n');
    const read = audit
      .map((line) => JSON.parse(line))
      .filter((e) => e.request.path === 'secret/data/shared' && e.auth?.entity_id === entityId)
      .at(-1);
    assert.deepEqual(read?.auth.identity_policies, ['shared'], 'the audit entry shows the identity policies');
    assert.deepEqual(read?.auth.policies, ['default', 'shared']);
    const lookup = (await ok('GET', 'auth/token/lookup-self', undefined, token)).body.data;
    assert.deepEqual(lookup.identity_policies, ['shared']);
    assert.deepEqual(lookup.policies, ['default'], 'policies stays the token policies');
    await ok('POST', `identity/entity/id/${entityId}`, { policies: [] });
    assert.equal(await status('GET', 'secret/data/shared', token), 403);
  });

  test('a group policy reaches members of a nested group, and leaving the group drops it at once', async () => {
    const { token, entityId } = await login('userpass', 'dave');
    const inner = (await ok('POST', 'identity/group', { name: 'inner', member_entity_ids: [entityId] })).body
      .data;
    await ok('POST', 'identity/group', { name: 'outer', policies: 'shared', member_group_ids: [inner.id] });
    assert.equal(await status('GET', 'secret/data/shared', token), 200);
    const entity = (await ok('GET', `identity/entity/id/${entityId}`)).body.data;
    assert.deepEqual(entity.direct_group_ids, [inner.id]);
    assert.equal(entity.inherited_group_ids.length, 1);
    const relogin = await login('userpass', 'dave');
    assert.deepEqual(relogin.auth.identity_policies, ['shared']);
    assert.ok(relogin.auth.policies.includes('shared'));
    await ok('POST', `identity/group/id/${inner.id}`, { member_entity_ids: [] });
    assert.equal(await status('GET', 'secret/data/shared', token), 403);
  });

  test('a group cannot be made a member of itself or of its own member', async () => {
    const a = (await ok('POST', 'identity/group', { name: 'cyc-a' })).body.data;
    const b = (await ok('POST', 'identity/group', { name: 'cyc-b', member_group_ids: [a.id] })).body.data;
    const res = await server.api('POST', `identity/group/id/${a.id}`, { member_group_ids: [b.id] }, root);
    assert.equal(res.status, 400, res.text);
    assert.match(res.text, /cyclic relationship/);
  });

  test('a templated path works for its own entity and not for another', async () => {
    const alice = await login('userpass', 'alice');
    await ok('POST', `identity/entity/id/${alice.entityId}`, { name: 'alice', policies: ['own'] });
    assert.equal(await status('GET', 'secret/data/alice/notes', alice.token), 200);
    assert.equal(await status('GET', 'secret/data/bob/notes', alice.token), 403);
  });

  test('a disabled entity cannot use its tokens nor log in; enabling it again restores both', async () => {
    const { token, entityId } = await login('userpass', 'erin');
    await ok('POST', `identity/entity/id/${entityId}`, { disabled: true });
    assert.equal(await status('GET', 'auth/token/lookup-self', token), 403);
    const relogin = await server.api('POST', 'auth/userpass/login/erin', { password: 'pw' });
    assert.equal(relogin.status, 403, relogin.text);
    await ok('POST', `identity/entity/id/${entityId}`, { disabled: false });
    assert.equal(await status('GET', 'auth/token/lookup-self', token), 200);
  });
});

describe('SECURITY.md B4: root through an identity', () => {
  for (const name of ['root', 'Root', ' root', 'ROOT', ' rOoT ']) {
    test(`an entity or group with policy ${JSON.stringify(name)} is refused`, async () => {
      const entity = await server.api(
        'POST',
        'identity/entity',
        { name: `e-${name.trim()}`, policies: [name] },
        root,
      );
      assert.equal(entity.status, 400, entity.text);
      assert.deepEqual(entity.body.errors, ['policies cannot contain root']);
      const group = await server.api(
        'POST',
        'identity/group',
        { name: `g-${name.trim()}`, policies: `x,${name}` },
        root,
      );
      assert.equal(group.status, 400, group.text);
    });
  }

  test('modifying an entity to add ROOT leaves its token without root powers', async () => {
    const { token, entityId } = await login('userpass', 'frank');
    const res = await server.api(
      'POST',
      `identity/entity/id/${entityId}`,
      { policies: ['default', 'ROOT'] },
      root,
    );
    assert.equal(res.status, 400);
    assert.equal(await status('GET', 'sys/mounts', token), 403);
    assert.equal(await status('GET', 'secret/data/shared', token), 403);
    const entity = (await ok('GET', `identity/entity/id/${entityId}`)).body.data;
    assert.deepEqual(entity.policies, []);
  });

  test('policy names on entities are trimmed and lower-cased', async () => {
    const res = await ok('POST', 'identity/entity', { name: 'casey', policies: [' Shared ', 'SHARED'] });
    const entity = (await ok('GET', `identity/entity/id/${res.body.data.id}`)).body.data;
    assert.deepEqual(entity.policies, ['shared']);
  });
});

describe('SECURITY.md B5: templates and aliases', () => {
  test('the same alias name on two mounts gives two entities, each seeing only its own metadata', async () => {
    const a = await login('userpass', 'same');
    const b = await login('userpass2', 'same');
    assert.notEqual(a.entityId, b.entityId);
    const aliasA = (await ok('GET', `identity/entity/id/${a.entityId}`)).body.data.aliases[0];
    const aliasB = (await ok('GET', `identity/entity/id/${b.entityId}`)).body.data.aliases[0];
    assert.equal(aliasA.mount_accessor, upA);
    assert.equal(aliasB.mount_accessor, upB);
    await ok('POST', `identity/entity-alias/id/${aliasA.id}`, { custom_metadata: { team: 'team-red' } });
    await ok('POST', `identity/entity-alias/id/${aliasB.id}`, { custom_metadata: { team: 'team-blue' } });
    const policy = [upA, upB]
      .map(
        (acc) =>
          `path "secret/data/{{identity.entity.aliases.${acc}.custom_metadata.team}}/*" { capabilities = ["read"] }`,
      )
      .join('\n');
    await ok('PUT', 'sys/policies/acl/team', { policy });
    for (const { entityId } of [a, b])
      await ok('POST', `identity/entity/id/${entityId}`, { policies: ['team'] });
    assert.equal(await status('GET', 'secret/data/team-red/plan', a.token), 200);
    assert.equal(await status('GET', 'secret/data/team-blue/plan', a.token), 403);
    assert.equal(await status('GET', 'secret/data/team-blue/plan', b.token), 200);
    assert.equal(await status('GET', 'secret/data/team-red/plan', b.token), 403);
  });

  test('a second alias on the same mount for one entity is refused', async () => {
    const { entityId } = await login('userpass', 'bob');
    const res = await server.api(
      'POST',
      'identity/entity-alias',
      { name: 'bob-again', mount_accessor: upA, canonical_id: entityId },
      root,
    );
    assert.equal(res.status, 400);
    assert.deepEqual(res.body.errors, ['Alias already exists for requested entity and mount accessor']);
    const bad = await server.api(
      'POST',
      'identity/entity-alias',
      { name: 'x', mount_accessor: 'auth_nope_1' },
      root,
    );
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body.errors, ['invalid mount accessor "auth_nope_1"']);
  });

  for (const name of ['*', 'x/y', 'a,b', '..', '+']) {
    test(`an entity named ${JSON.stringify(name)} gets nothing from a templated path`, async () => {
      const { token, entityId } = await login('userpass', 'bob');
      await ok('POST', `identity/entity/id/${entityId}`, { name, policies: ['own'] });
      for (const path of ['secret/data/alice/notes', 'secret/data/x/y', 'secret/data/bob/notes'])
        assert.equal(await status('GET', path, token), 403, `${name} reads ${path}`);
      await ok('POST', `identity/entity/id/${entityId}`, { name: 'bob' });
      assert.equal(await status('GET', 'secret/data/bob/notes', token), 200);
    });
  }
});

describe('API', () => {
  test('entity by name: create, read, update (204), delete, list', async () => {
    const created = await ok('POST', 'identity/entity/name/team-bot', { metadata: { owner: 'ops' } });
    assert.equal(created.status, 200);
    assert.equal(created.body.data.name, 'team-bot');
    const update = await ok('POST', 'identity/entity/name/team-bot', { policies: 'shared' });
    assert.equal(update.status, 204);
    const read = (await ok('GET', 'identity/entity/name/team-bot')).body.data;
    assert.deepEqual(read.metadata, { owner: 'ops' });
    assert.deepEqual(read.policies, ['shared']);
    assert.ok((await ok('LIST', 'identity/entity/name')).body.data.keys.includes('team-bot'));
    const clash = await server.api(
      'POST',
      'identity/entity',
      { id: created.body.data.id, name: 'alice' },
      root,
    );
    assert.deepEqual(clash.body.errors, ['entity name is already in use']);
    assert.equal((await ok('DELETE', 'identity/entity/name/team-bot')).status, 204);
    assert.equal(await status('GET', `identity/entity/id/${created.body.data.id}`, root), 404);
    const missing = await server.api('POST', 'identity/entity', { id: 'nope' }, root);
    assert.deepEqual(missing.body.errors, ['entity not found from id']);
  });

  test('deleting an entity takes it out of its groups', async () => {
    const e = (await ok('POST', 'identity/entity', { name: 'short-lived' })).body.data;
    const g = (await ok('POST', 'identity/group', { name: 'holds-short-lived', member_entity_ids: [e.id] }))
      .body.data;
    await ok('POST', 'identity/entity/batch-delete', { entity_ids: [e.id] });
    const group = (await ok('GET', `identity/group/id/${g.id}`)).body.data;
    assert.deepEqual(group.member_entity_ids, []);
  });

  test("a deleted entity's token keeps its own policies; the next login makes a new entity", async () => {
    await ok('POST', 'auth/userpass/users/hank', { password: 'pw', token_policies: 'shared' });
    const first = await login('userpass', 'hank');
    await ok('DELETE', `identity/entity/id/${first.entityId}`);
    assert.equal(await status('GET', 'secret/data/shared', first.token), 200);
    const second = await login('userpass', 'hank');
    assert.notEqual(second.entityId, first.entityId);
    assert.match(second.entityId, /^[0-9a-f-]{36}$/);
  });

  test('identity/ cannot be disabled or moved', async () => {
    assert.equal((await server.api('DELETE', 'sys/mounts/identity', undefined, root)).status, 400);
    const moved = await server.api('POST', 'sys/remount', { from: 'identity', to: 'ident2' }, root);
    assert.equal(moved.status, 400);
    const mounts = (await ok('GET', 'sys/mounts')).body.data;
    assert.equal(mounts['identity/'].type, 'identity');
  });

  test('a token reads its own entity through the default policy, not another one', async () => {
    const alice = await login('userpass', 'alice');
    const bob = await login('userpass', 'bob');
    assert.equal(await status('GET', `identity/entity/id/${alice.entityId}`, alice.token), 200);
    assert.equal(await status('GET', `identity/entity/id/${bob.entityId}`, alice.token), 403);
  });
});

describe('SECURITY.md B5: merge', () => {
  test("merging another user's entity gives the target none of its policies, nor its alias without asking", async () => {
    await ok('POST', 'auth/userpass/users/mallory', { password: 'pw' });
    await ok('POST', 'auth/userpass/users/victim', { password: 'pw' });
    const mallory = await login('userpass', 'mallory');
    const victim = await login('userpass', 'victim');
    await ok('POST', `identity/entity/id/${victim.entityId}`, { policies: ['shared'] });
    const merge = { to_entity_id: mallory.entityId, from_entity_ids: [victim.entityId] };
    const refused = await server.api('POST', 'identity/entity/merge', merge, root);
    assert.equal(refused.status, 400, refused.text);
    assert.match(refused.body.errors[0], /^conflicting mount accessors/);
    const malloryAlias = (await ok('GET', `identity/entity/id/${mallory.entityId}`)).body.data.aliases[0].id;
    await ok('POST', 'identity/entity/merge', { ...merge, conflicting_alias_ids_to_keep: [malloryAlias] });
    assert.equal(await status('GET', 'secret/data/shared', mallory.token), 403);
    const merged = (await ok('GET', `identity/entity/id/${mallory.entityId}`)).body.data;
    assert.deepEqual(merged.policies, []);
    assert.deepEqual(merged.merged_entity_ids, [victim.entityId]);
  });

  test("a merged-away entity's token acts with the target's identity (Vault's merged-entity index)", async () => {
    await ok('POST', 'auth/userpass/users/merged-away', { password: 'pw' });
    const source = await login('userpass', 'merged-away');
    const created = await ok('POST', 'identity/entity', { name: 'x', policies: ['own'] });
    const target = created.body.data.id as string;
    assert.equal(await status('GET', 'secret/data/x/y', source.token), 403);
    await ok('POST', 'identity/entity/merge', { to_entity_id: target, from_entity_ids: [source.entityId] });
    // The target's policy, rendered with the target's name.
    assert.equal(await status('GET', 'secret/data/x/y', source.token), 200);
    await ok('POST', `identity/entity/id/${target}`, { disabled: true });
    assert.equal(await status('GET', 'secret/data/x/y', source.token), 403, "the target's disabling applies");
  });
});

describe('auth mounts', () => {
  test('disabling an auth mount leaves its aliases in place, as in Vault', async () => {
    await ok('POST', 'sys/auth/gone', { type: 'userpass' });
    const accessor = (await ok('GET', 'sys/auth')).body.data['gone/'].accessor;
    await ok('POST', 'auth/gone/users/ivy', { password: 'pw' });
    const { entityId } = await login('gone', 'ivy');
    const aliasId = (await ok('GET', `identity/entity/id/${entityId}`)).body.data.aliases[0].id;
    assert.equal((await server.api('DELETE', 'sys/auth/gone', undefined, root)).status, 204);
    const entity = (await ok('GET', `identity/entity/id/${entityId}`)).body.data;
    assert.deepEqual(
      entity.aliases.map((a: { id: string; mount_accessor: string; name: string }) => [
        a.id,
        a.mount_accessor,
        a.name,
      ]),
      [[aliasId, accessor, 'ivy']],
    );
    assert.equal((await ok('GET', `identity/entity-alias/id/${aliasId}`)).body.data.canonical_id, entityId);
  });
});
