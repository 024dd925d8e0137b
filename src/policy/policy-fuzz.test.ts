/**
 * SECURITY B6, the parser fuzz: ~10k seeded mutations of valid policies and random HCL or JSON texts. A
 * policy either parses into an ACL that answers every question, or is refused with a 400 and a message;
 * never an uncaught exception (a bare 500), whether parsed directly or written through `sys/policies/acl`.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import type { Core } from '../core/core.js';
import { CofferError } from '../core/errors.js';
import { startDevCore } from '../core/testing.js';
import { loadBuiltinEngines } from '../engines/registry.js';
import type { Operation } from '../framework/logical.js';
import { Acl, type AclOperation, isSudoPath } from './acl.js';
import { DEFAULT_POLICY, RESPONSE_WRAPPING_POLICY } from './builtin.js';
import { CAPABILITIES, formatPolicyHcl, type Policy, parsePolicy } from './parse.js';

const SEED = 20261201;

/** Valid policies covering the syntax: HCL1 one-line blocks, JSON, legacy `policy`, templates, every option. */
const CORPUS = [
  DEFAULT_POLICY,
  RESPONSE_WRAPPING_POLICY,
  'path "secret/data/*" { capabilities = ["read", "list"] }\npath "secret/data/admin" { capabilities = ["deny"] }\n',
  'path "secret/+/team/*" {\n  capabilities = ["create", "update"]\n}\npath "sys/auth/*" {\n  capabilities = ["sudo", "read"]\n}\n',
  `path "transit/keys/*" {
  capabilities        = ["create", "update"]
  allowed_parameters  = { "auto_rotate_period" = ["8h", "24h"], "*" = [] }
  denied_parameters   = { "exportable" = [] }
  required_parameters = ["type"]
  min_wrapping_ttl    = "1s"
  max_wrapping_ttl    = "1m30s"
}
`,
  'path "a" { capabilities = ["read"], policy = "write" }\npath "b" { policy = "sudo" }\n',
  'path "auth/userpass/users/{{identity.entity.aliases.auth_userpass_0123.name}}" {\n  capabilities = ["update"]\n}\n',
  '{"path": {"secret/*": {"capabilities": ["read"], "allowed_parameters": {"a": ["x*", "*y"]}}}}',
  '{"path": [{"a": [{"capabilities": ["read"]}, {"capabilities": ["list"]}]}, {"b": {"policy": "deny"}}]}',
  '# comment\npath "kv/ab*" {\n  // another\n  capabilities = ["patch", "delete"] /* inline */\n  max_wrapping_ttl = 90\n}\n',
];

/** Tokens a mutation inserts: HCL punctuation, keys and values of policies, and known troublemakers. */
const DICTIONARY = [
  ...'{ } [ ] " = , : # // /* */ \\ %{ * + +* / {{ }} [] {} -1 1e309 0x10 null true __proto__ constructor'.split(
    ' ',
  ),
  ...'path capabilities policy comment deny sudo read list mfa_methods control_group'.split(' '),
  ...'allowed_parameters denied_parameters required_parameters min_wrapping_ttl max_wrapping_ttl'.split(' '),
  '\n',
  '<<EOF\n',
  '\nEOF\n',
  '"write"',
  '"1h"',
  '"-5s"',
  '"*"',
  '"+"',
  '{{identity.entity.id}}',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: HCL's interpolation, not a JavaScript template
  '${x}',
  '\u0000',
  '\uFFFF',
  '😀',
];

type Mutation = { at: number; cut: number; insert: string };
const mutation = fc.record({
  at: fc.nat(),
  cut: fc.oneof(fc.constant(0), fc.nat(12)),
  insert: fc.oneof(
    fc.constant(''),
    fc.constantFrom(...DICTIONARY),
    fc.string({ maxLength: 4, unit: 'binary' }),
  ),
});
const applyAll = (text: string, mutations: Mutation[]) =>
  mutations.reduce((t, { at, cut, insert }) => {
    const i = at % (t.length + 1);
    return t.slice(0, i) + insert + t.slice(i + cut);
  }, text);
const mutant = fc
  .tuple(fc.constantFrom(...CORPUS), fc.array(mutation, { minLength: 1, maxLength: 4 }))
  .map(([text, mutations]) => applyAll(text, mutations));

const PARAMETER_KEYS = [
  'allowed_parameters',
  'denied_parameters',
  'required_parameters',
  'min_wrapping_ttl',
  'max_wrapping_ttl',
];
const OPERATIONS: AclOperation[] = ['create', 'read', 'update', 'patch', 'delete', 'list'];
const PROBES = ['secret/data/x', 'secret/a/team/b', 'sys/auth/x', 'a', 'b/', 'kv/abc', 'transit/keys/k', ''];

/** A refusal must be Coffer's 400 with a message saying what is wrong. */
function assertRefusal(error: unknown): void {
  assert.ok(error instanceof CofferError, `not a CofferError: ${String(error)}`);
  assert.equal(error.status, 400);
  assert.match(error.message, /^failed to parse policy: \S/);
}

/** A parsed policy compiles, and its ACL answers every probe; a capability it lacks is never allowed. */
function assertUsable(policy: Policy): void {
  const acl = new Acl([policy]);
  for (const path of PROBES) {
    const caps = acl.capabilities(path);
    assert.ok(
      caps.length > 0 && caps.every((c) => c === 'deny' || (CAPABILITIES as readonly string[]).includes(c)),
    );
    for (const operation of OPERATIONS) {
      const verdict = acl.allowOperation({
        path,
        operation,
        data: { a: 'x' },
        requiresSudo: isSudoPath(path),
      });
      if (verdict.allowed) assert.ok(caps.includes(operation), `${operation} ${path} allowed beyond ${caps}`);
    }
  }
}

test('10,000 mutations of valid policies: each parses into a usable ACL or is a 400 with a message', async () => {
  const outcomes = { parsed: 0, refused: 0 };
  await fc.assert(
    fc.asyncProperty(mutant, async (text) => {
      let policy: Policy;
      try {
        policy = await parsePolicy('fuzz', text);
      } catch (error) {
        assertRefusal(error);
        outcomes.refused++;
        return;
      }
      outcomes.parsed++;
      assertUsable(policy);
    }),
    { seed: SEED, numRuns: 10_000 },
  );
  assert.ok(outcomes.parsed > 1000 && outcomes.refused > 1000, JSON.stringify(outcomes));
});

/** A policy's rules in a comparable form (capability sets sorted). */
const rulesOf = (policy: Policy) =>
  policy.rules.map((r) => ({ ...r, capabilities: [...r.capabilities].sort() }));

test('policy fmt of a mutated policy that parses gives a text that parses to the same rules', async () => {
  let formatted = 0;
  await fc.assert(
    fc.asyncProperty(mutant, async (text) => {
      // A lone UTF-16 surrogate has no UTF-8 form for HCL to print (left open, see SECURITY B6 notes).
      const policy = /\p{Cs}/u.test(text)
        ? undefined
        : await parsePolicy('fuzz', text).catch(() => undefined);
      if (!policy) return;
      const pretty = await formatPolicyHcl(text);
      assert.deepEqual(rulesOf(await parsePolicy('fuzz', pretty)), rulesOf(policy), pretty);
      formatted++;
    }),
    { seed: SEED, numRuns: 2000 },
  );
  assert.ok(formatted > 250, `only ${formatted} formatted`);
});

/** Policy-shaped JSON with random values where the keys expect strings, lists and maps. */
const jsonPolicy = fc
  .dictionary(
    fc.oneof(
      fc.constantFrom('secret/*', 'a/+/b', '+', '*', '', '/x', 'a+*', '{{identity.entity.id}}/*'),
      fc.string(),
    ),
    fc.dictionary(
      fc.oneof(fc.constantFrom('capabilities', 'policy', ...PARAMETER_KEYS), fc.string({ maxLength: 6 })),
      fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.subarray([...CAPABILITIES])),
    ),
    { maxKeys: 3 },
  )
  .map((paths) => JSON.stringify({ path: paths }));
/** HCL-ish token soup, so the HCL parser and the one-line-block rewrite see odd but near-valid input. */
const hclSoup = fc
  .array(
    fc.oneof(fc.constantFrom(...DICTIONARY, ' ', '"a"', 'x = 1', '"read"'), fc.string({ maxLength: 3 })),
    {
      maxLength: 30,
    },
  )
  .map((tokens) => tokens.join(' '));
const anyText = fc.oneof(
  { weight: 3, arbitrary: mutant },
  { weight: 2, arbitrary: jsonPolicy },
  { weight: 1, arbitrary: hclSoup },
  { weight: 1, arbitrary: fc.json() },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 80 }) },
);

test('random policy texts written through sys/policies/acl: 2xx or 400, and a written policy is usable', async () => {
  const statuses: Record<string, number> = {};
  await fc.assert(
    fc.asyncProperty(anyText, fc.constantFrom(...PROBES), async (text, probe) => {
      const written = await status('update', 'sys/policies/acl/fuzz', rootToken, { policy: text });
      statuses[written] = (statuses[written] ?? 0) + 1;
      assert.ok(written < 300 || written === 400, `writing the policy answered ${written}`);
      if (written !== 400) {
        const created = await call('update', 'auth/token/create', rootToken, {
          policies: ['fuzz', 'default'],
        });
        const token = String(created.auth?.client_token);
        const self = await status('update', 'sys/capabilities-self', token, { paths: [probe, 'kv/a'] });
        assert.equal(self, 200);
        const read = await status('read', 'kv/a', token, {});
        assert.ok(read === 200 || read === 403, `read answered ${read}`);
      }
    }),
    { seed: SEED, numRuns: 1500 },
  );
  assert.ok(
    statuses[400] > 300 && (statuses[200] ?? 0) + (statuses[204] ?? 0) > 150,
    JSON.stringify(statuses),
  );
});

let core: Core;
let rootToken: string;
let send: Awaited<ReturnType<typeof startDevCore>>['send'];
const call = (operation: Operation, path: string, token: string, data: Record<string, unknown>) =>
  send(operation, path, token, data);
/** The status the client gets: anything but a CofferError would be a bare 500, so it fails the test. */
async function status(operation: Operation, path: string, token: string, data: Record<string, unknown>) {
  try {
    return (await call(operation, path, token, data)).response?.httpStatus ?? 200;
  } catch (error) {
    if (!(error instanceof CofferError)) throw error;
    assert.ok(error.status === 403 || error.message.trim() !== '', `a ${error.status} without a message`);
    return error.status;
  }
}
before(async () => {
  ({ core, rootToken, send } = await startDevCore({ engines: await loadBuiltinEngines() }));
  await call('update', 'sys/mounts/kv', rootToken, { type: 'kv', options: { version: '1' } });
  await call('update', 'kv/a', rootToken, { v: '1' });
});
after(() => core.sealVault());
