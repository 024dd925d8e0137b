/** The JSON lines Vault's audit log readers expect, per device option. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type AuditInput,
  type AuditResponseInput,
  auditTime,
  entryParts,
  formatRequestEntry,
  formatResponseEntry,
} from './entry.js';
import { hmacValue } from './hash.js';
import type { FormatConfig } from './options.js';

const SALT = 'salt-for-entry-tests';
const h = (value: string) => hmacValue(SALT, value);
const NOW = Date.UTC(2024, 4, 1, 10, 0, 0, 120);
const DEFAULTS: FormatConfig = { hmacAccessor: true, logRaw: false, elideListResponses: false };
const ctx = (config: Partial<FormatConfig> = {}) => ({
  config: { ...DEFAULTS, ...config },
  hash: h,
  now: NOW,
});
/** A response entry for an input that carries its outcome (`response`, `error`) inline. */
const responseLine = (input: AuditResponseInput, context: ReturnType<typeof ctx>) =>
  formatResponseEntry(input, { response: input.response }, context);

const kvWrite: AuditInput = {
  requestId: 'req-1',
  operation: 'update',
  path: 'secret/data/app',
  data: { data: { password: 'pw' }, options: { cas: 1 } },
  clientToken: 'hvs.token',
  clientTokenAccessor: 'acc-1',
  remoteAddress: '10.0.0.7',
  remotePort: 51422,
  mount: { point: 'secret/', type: 'kv', accessor: 'kv_5d8e1a2b' },
  auth: {
    displayName: 'userpass-alice',
    policies: ['default', 'dev'],
    tokenPolicies: ['default', 'dev'],
    metadata: { username: 'alice' },
    entityId: 'ent-1',
    tokenType: 'service',
    tokenTtl: 2764800,
    tokenIssueTime: '2024-05-01T09:00:00Z',
    policyResults: { allowed: true, grantingPolicies: [{ name: 'dev' }] },
  },
};

test('time is RFC 3339 in UTC with Go RFC3339Nano trimming', () => {
  assert.equal(auditTime(NOW), '2024-05-01T10:00:00.12Z');
  assert.equal(auditTime(Date.UTC(2024, 0, 1)), '2024-01-01T00:00:00Z');
  assert.equal(auditTime(Date.UTC(2024, 0, 1, 0, 0, 1, 5)), '2024-01-01T00:00:01.005Z');
});

test('a request entry has Vault keys in Vault order, secrets hashed, the rest in clear', () => {
  const entry = JSON.parse(formatRequestEntry(kvWrite, ctx()));
  assert.deepEqual(entry, {
    time: '2024-05-01T10:00:00.12Z',
    type: 'request',
    auth: {
      client_token: h('hvs.token'),
      accessor: h('acc-1'),
      display_name: 'userpass-alice',
      policies: ['default', 'dev'],
      token_policies: ['default', 'dev'],
      policy_results: {
        allowed: true,
        granting_policies: [{ name: 'dev', namespace_id: 'root', type: 'acl' }],
      },
      metadata: { username: 'alice' },
      entity_id: 'ent-1',
      token_type: 'service',
      token_ttl: 2764800,
      token_issue_time: '2024-05-01T09:00:00Z',
    },
    request: {
      id: 'req-1',
      operation: 'update',
      mount_point: 'secret/',
      mount_type: 'kv',
      mount_accessor: 'kv_5d8e1a2b',
      client_token: h('hvs.token'),
      client_token_accessor: h('acc-1'),
      namespace: { id: 'root' },
      path: 'secret/data/app',
      data: { data: { password: h('pw') }, options: { cas: 1 } },
      remote_address: '10.0.0.7',
      remote_port: 51422,
    },
  });
  assert.deepEqual(Object.keys(entry), ['time', 'type', 'auth', 'request']);
});

test('an unauthenticated request omits empty fields and names the default token type', () => {
  const line = formatRequestEntry(
    { requestId: 'r', operation: 'update', path: 'auth/userpass/login/bob' },
    ctx(),
  );
  assert.deepEqual(JSON.parse(line), {
    time: '2024-05-01T10:00:00.12Z',
    type: 'request',
    auth: { token_type: 'default' },
    request: { id: 'r', operation: 'update', namespace: { id: 'root' }, path: 'auth/userpass/login/bob' },
  });
});

const login: AuditResponseInput = {
  requestId: 'r2',
  operation: 'update',
  path: 'auth/userpass/login/bob',
  data: { password: 'pw' },
  error: 'permission denied',
  nonHmacResponseKeys: ['visible'],
  response: {
    data: { visible: 'plain', hidden: 'x' },
    warnings: ['a warning'],
    secret: { leaseId: 'auth/userpass/login/bob/abc' },
    auth: {
      clientToken: 'hvs.new',
      accessor: 'acc-new',
      policies: ['default'],
      tokenType: 'service',
      leaseDuration: 60,
    },
    wrapInfo: {
      token: 'hvs.wrap',
      accessor: 'acc-wrap',
      ttl: 300,
      creationTime: '2024-05-01T10:00:00Z',
      creationPath: 'auth/userpass/login/bob',
      wrappedAccessor: 'acc-wrapped',
    },
  },
};

test('a response entry hashes the new token, wrap token and accessors, and carries the error', () => {
  const entry = JSON.parse(responseLine(login, ctx()));
  assert.deepEqual(Object.keys(entry), ['time', 'type', 'auth', 'request', 'response', 'error']);
  assert.equal(entry.error, 'permission denied');
  assert.deepEqual(entry.request.data, { password: h('pw') });
  assert.deepEqual(entry.response, {
    auth: {
      client_token: h('hvs.new'),
      accessor: h('acc-new'),
      policies: ['default'],
      token_type: 'service',
      token_ttl: 60,
    },
    secret: { lease_id: 'auth/userpass/login/bob/abc' },
    data: { visible: 'plain', hidden: h('x') },
    warnings: ['a warning'],
    wrap_info: {
      ttl: 300,
      token: h('hvs.wrap'),
      accessor: h('acc-wrap'),
      creation_time: '2024-05-01T10:00:00Z',
      creation_path: 'auth/userpass/login/bob',
      wrapped_accessor: h('acc-wrapped'),
    },
  });
});

test('hmac_accessor=false leaves accessors readable but still hashes tokens', () => {
  const req = JSON.parse(formatRequestEntry(kvWrite, ctx({ hmacAccessor: false })));
  assert.equal(req.auth.accessor, 'acc-1');
  assert.equal(req.request.client_token_accessor, 'acc-1');
  assert.equal(req.request.client_token, h('hvs.token'));
  const resp = JSON.parse(responseLine(login, ctx({ hmacAccessor: false })));
  assert.equal(resp.response.auth.accessor, 'acc-new');
  assert.equal(resp.response.wrap_info.accessor, 'acc-wrap');
  assert.equal(resp.response.wrap_info.wrapped_accessor, 'acc-wrapped');
  assert.equal(resp.response.wrap_info.token, h('hvs.wrap'));
});

test('log_raw=true writes everything in clear', () => {
  const resp = JSON.parse(responseLine({ ...login, clientToken: 'hvs.t', auth: {} }, ctx({ logRaw: true })));
  assert.equal(resp.request.client_token, 'hvs.t');
  assert.equal(resp.auth.client_token, 'hvs.t');
  assert.deepEqual(resp.request.data, { password: 'pw' });
  assert.equal(resp.response.auth.client_token, 'hvs.new');
  assert.equal(resp.response.wrap_info.token, 'hvs.wrap');
  assert.equal(resp.response.data.hidden, 'x');
});

test('elide_list_responses counts list keys, only on list operations', () => {
  const list: AuditResponseInput = {
    requestId: 'r3',
    operation: 'list',
    path: 'secret/metadata/',
    response: { data: { keys: ['a', 'b'], key_info: { a: {}, b: {} } } },
  };
  const elided = JSON.parse(responseLine(list, ctx({ elideListResponses: true })));
  assert.deepEqual(elided.response.data, { keys: 2, key_info: 2 });
  const raw = JSON.parse(responseLine(list, ctx({ elideListResponses: true, logRaw: true })));
  assert.deepEqual(raw.response.data, { keys: 2, key_info: 2 });
  const kept = JSON.parse(responseLine(list, ctx()));
  assert.deepEqual(kept.response.data.keys, [h('a'), h('b')]);
  const read = JSON.parse(responseLine({ ...list, operation: 'read' }, ctx({ elideListResponses: true })));
  assert.deepEqual(read.response.data.keys, [h('a'), h('b')]);
});

test('audited headers: token headers are always hashed, others only when configured', () => {
  const input: AuditInput = {
    requestId: 'r4',
    operation: 'read',
    path: 'sys/health',
    headers: {
      'X-Vault-Token': ['hvs.h'],
      authorization: ['Bearer b'],
      'x-request-id': ['id'],
      'x-secret': ['s'],
    },
    hmacHeaders: ['X-Secret'],
  };
  const entry = JSON.parse(formatRequestEntry(input, ctx()));
  assert.deepEqual(entry.request.headers, {
    'x-vault-token': [h('hvs.h')],
    authorization: [h('Bearer b')],
    'x-request-id': ['id'],
    'x-secret': [h('s')],
  });
});

test('the same request data is left untouched by formatting', () => {
  const before = structuredClone(kvWrite);
  formatRequestEntry(kvWrite, ctx());
  responseLine({ ...kvWrite, response: { data: kvWrite.data } }, ctx());
  assert.deepEqual(kvWrite, before);
});

test('the auth block of a token entry is serialized once per device, and again when the entry changes', () => {
  const cache = new WeakMap<object, string>();
  // What the pipeline sends for a token: no per-request policy results.
  const base: AuditInput = { ...kvWrite, auth: { ...kvWrite.auth, policyResults: undefined } };
  const token = { id: 'cached token entry' };
  const first = entryParts({ ...base, authIdentity: token }, ctx(), cache);
  assert.equal(cache.get(token), first.auth);
  const fresh = JSON.parse(first.auth);
  assert.equal(fresh.client_token, h('hvs.token'));
  // Same identity: the cached block is used, even though this input's own auth would say otherwise.
  const again = entryParts(
    { ...base, authIdentity: token, auth: { ...base.auth, displayName: 'changed' } },
    ctx(),
    cache,
  );
  assert.equal(again.auth, first.auth);
  // A replaced entry (a spent use, a renewal) is a new identity: its block is built again.
  const replaced = entryParts(
    { ...base, authIdentity: { ...token }, auth: { ...base.auth, displayName: 'changed' } },
    ctx(),
    cache,
  );
  assert.equal(JSON.parse(replaced.auth).display_name, 'changed');
  // Policy results belong to the request: never served from, or put in, the cache.
  const judged = entryParts(
    { ...base, authIdentity: token, auth: { ...base.auth, policyResults: { allowed: true } } },
    ctx(),
    cache,
  );
  assert.deepEqual(JSON.parse(judged.auth).policy_results, { allowed: true });
  assert.equal(cache.get(token), first.auth);
  // Without an identity nothing is cached.
  const plain = entryParts({ ...base, auth: { ...base.auth, displayName: 'other' } }, ctx(), cache);
  assert.equal(JSON.parse(plain.auth).display_name, 'other');
});
