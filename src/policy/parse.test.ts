/** Policy parsing (HCL, JSON, legacy `policy =`), its 400s, the built-in texts and `policy fmt`. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CofferError } from '../core/errors.js';
import {
  assertPoliciesAssignable,
  assertPolicyDeletable,
  assertPolicyWritable,
  DEFAULT_POLICY,
  normalizePolicyName,
  policyNameWarning,
  RESPONSE_WRAPPING_POLICY,
} from './builtin.js';
import { formatPolicyHcl, type PathRule, parsePolicy } from './parse.js';

const only = async (text: string): Promise<PathRule> => {
  const policy = await parsePolicy('p', text);
  assert.equal(policy.rules.length, 1);
  return policy.rules[0];
};
const caps = (rule: PathRule) => [...rule.capabilities].sort();

async function rejects(text: string, message: string | RegExp) {
  await assert.rejects(parsePolicy('p', text), (error: unknown) => {
    assert.ok(error instanceof CofferError, String(error));
    assert.equal(error.status, 400);
    assert.match(error.message, /^failed to parse policy: /);
    if (typeof message === 'string') assert.equal(error.message, `failed to parse policy: ${message}`);
    else assert.match(error.message, message);
    return true;
  });
}

test('an HCL path block with capabilities', async () => {
  const rule = await only('path "secret/data/*" {\n  capabilities = ["read", "list"]\n}\n');
  assert.equal(rule.pattern, 'secret/data/*');
  assert.deepEqual(caps(rule), ['list', 'read']);
});

test('the same policy as JSON', async () => {
  const rule = await only('{"path": {"secret/data/*": {"capabilities": ["read", "list"]}}}');
  assert.equal(rule.pattern, 'secret/data/*');
  assert.deepEqual(caps(rule), ['list', 'read']);
});

test('JSON with a list of bodies per path, and a list of path maps', async () => {
  const policy = await parsePolicy(
    'p',
    '{"path": [{"a": [{"capabilities": ["read"]}, {"capabilities": ["list"]}]}, {"b": {"policy": "deny"}}]}',
  );
  assert.deepEqual(
    policy.rules.map((r) => [r.pattern, caps(r)]),
    [
      ['a', ['read']],
      ['a', ['list']],
      ['b', ['deny']],
    ],
  );
});

test('every option of a path block', async () => {
  const rule = await only(`path "transit/keys/*" {
  capabilities        = ["create", "update"]
  allowed_parameters  = { "Auto_Rotate_Period" = ["8h", "24h"], "*" = [] }
  denied_parameters   = { "exportable" = [] }
  required_parameters = ["Type"]
  min_wrapping_ttl    = "1s"
  max_wrapping_ttl    = "1m30s"
  comment             = "ignored"
}`);
  assert.deepEqual(rule.allowedParameters, { auto_rotate_period: ['8h', '24h'], '*': [] });
  assert.deepEqual(rule.deniedParameters, { exportable: [] });
  assert.deepEqual(rule.requiredParameters, ['type']);
  assert.equal(rule.minWrappingTtl, 1);
  assert.equal(rule.maxWrappingTtl, 90);
});

test('wrapping TTLs given as numbers are seconds', async () => {
  const rule = await only('path "a" {\n  capabilities = ["update"]\n  max_wrapping_ttl = 90\n}');
  assert.equal(rule.maxWrappingTtl, 90);
});

test('parameter maps may be written as blocks (HCL1 style)', async () => {
  const rule = await only(
    'path "a" {\n  capabilities = ["update"]\n  allowed_parameters {\n    k = ["v"]\n  }\n}',
  );
  assert.deepEqual(rule.allowedParameters, { k: ['v'] });
});

test('a lone parameter value is a one-element list', async () => {
  const rule = await only('path "a" {\n  capabilities = ["update"]\n  denied_parameters = { "k" = "v" }\n}');
  assert.deepEqual(rule.deniedParameters, { k: ['v'] });
});

const legacy: [string, string[]][] = [
  ['deny', ['deny']],
  ['read', ['list', 'read']],
  ['write', ['create', 'delete', 'list', 'read', 'update']],
  ['sudo', ['create', 'delete', 'list', 'read', 'sudo', 'update']],
];
for (const [word, expected] of legacy) {
  test(`legacy policy = "${word}" maps to ${expected.join(', ')}`, async () => {
    assert.deepEqual(caps(await only(`path "a" {\n  policy = "${word}"\n}`)), expected);
  });
}

test('legacy policy adds to the capabilities listed beside it', async () => {
  const rule = await only('path "a" {\n  capabilities = ["patch"]\n  policy = "read"\n}');
  assert.deepEqual(caps(rule), ['list', 'patch', 'read']);
});

test('deny replaces every other capability and drops the parameters', async () => {
  const rule = await only(
    'path "a" {\n  capabilities = ["read", "deny", "sudo"]\n  allowed_parameters = { "k" = [] }\n}',
  );
  assert.deepEqual(caps(rule), ['deny']);
  assert.equal(rule.allowedParameters, undefined);
});

test('a leading slash is stripped from the path', async () => {
  assert.equal((await only('path "/secret/x" {\n  capabilities = ["read"]\n}')).pattern, 'secret/x');
});

test('a templated path is kept for the ACL to render', async () => {
  const rule = await only('path "secret/{{identity.entity.name}}/*" {\n  capabilities = ["read"]\n}');
  assert.equal(rule.pattern, 'secret/{{identity.entity.name}}/*');
});

test('the same path twice gives two rules (the ACL merges them)', async () => {
  const policy = await parsePolicy(
    'p',
    'path "a" {\n  capabilities = ["read"]\n}\npath "a" {\n  capabilities = ["list"]\n}',
  );
  assert.equal(policy.rules.length, 2);
});

test('an HCL1 one-line block with two attributes is accepted', async () => {
  const rule = await only('path "a" { capabilities = ["read"], policy = "write" }');
  assert.deepEqual(caps(rule), ['create', 'delete', 'list', 'read', 'update']);
});

test('HCL1 one-line blocks whose attributes are separated by spaces alone are accepted', async () => {
  const rule = await only('path "a" { capabilities=["read"] min_wrapping_ttl="10s" max_wrapping_ttl = 60 }');
  assert.deepEqual(caps(rule), ['read']);
  assert.equal(rule.minWrappingTtl, 10);
  assert.equal(rule.maxWrappingTtl, 60);
  const nested = await only(
    'path "b" { capabilities = ["update"] allowed_parameters = { "x" = ["1"] "y" = [] } required_parameters = ["x"] }',
  );
  assert.deepEqual(caps(nested), ['update']);
  assert.deepEqual(Object.keys(nested.allowedParameters ?? {}).sort(), ['x', 'y']);
  assert.deepEqual(nested.requiredParameters, ['x']);
});

test('an empty policy and a comment-only policy have no rules', async () => {
  assert.deepEqual((await parsePolicy('p', '')).rules, []);
  assert.deepEqual((await parsePolicy('p', '# nothing\n')).rules, []);
});

test('a top-level name is accepted and ignored', async () => {
  assert.equal((await parsePolicy('p', 'name = "x"\npath "a" {\n  capabilities = []\n}')).name, 'p');
});

const errors: [string, string, string | RegExp][] = [
  [
    'an unknown capability',
    'path "a" {\n  capabilities = ["read", "fly"]\n}',
    'path "a": invalid capability "fly"',
  ],
  ['an unknown legacy policy', 'path "a" {\n  policy = "admin"\n}', 'path "a": invalid policy "admin"'],
  [
    '+* in a path',
    'path "a/+*" {\n  capabilities = ["read"]\n}',
    `path "a/+*": invalid use of wildcards ('+*' is forbidden)`,
  ],
  [
    'an unknown key in a block',
    'path "a" {\n  capability = ["read"]\n}',
    'path "a": invalid key "capability"',
  ],
  ['an unknown top-level key', 'paths "a" {\n  capabilities = ["read"]\n}', 'invalid key "paths"'],
  [
    'control groups, which Coffer cannot enforce',
    'path "a" {\n  capabilities = ["read"]\n  control_group = {}\n}',
    'path "a": control_group is not supported',
  ],
  [
    'a bad duration',
    'path "a" {\n  capabilities = ["read"]\n  min_wrapping_ttl = "soon"\n}',
    /^failed to parse policy: error parsing min_wrapping_ttl: /,
  ],
  [
    'max below min',
    'path "a" {\n  capabilities = ["read"]\n  min_wrapping_ttl = "1m"\n  max_wrapping_ttl = "30s"\n}',
    'max_wrapping_ttl cannot be less than min_wrapping_ttl',
  ],
  [
    'a partial glob as parameter key',
    'path "a" {\n  capabilities = ["read"]\n  allowed_parameters = { "k*" = [] }\n}',
    'path "a": allowed_parameters: parameter key "k*" cannot contain non-tail wildcards',
  ],
  [
    'parameters that are not a map',
    'path "a" {\n  capabilities = ["read"]\n  denied_parameters = ["k"]\n}',
    'path "a": denied_parameters must be a map',
  ],
  [
    'an unbalanced template',
    'path "a/{{identity.entity.id" {\n  capabilities = ["read"]\n}',
    'failed to validate policy templating: unbalanced templating characters',
  ],
  [
    'a closing template before an opening one',
    'path "a/}}x{{" {\n  capabilities = ["read"]\n}',
    'failed to validate policy templating: unbalanced templating characters',
  ],
  ['HCL syntax errors', 'path "a" {\n  capabilities = ["read"\n}', /^failed to parse policy: .+/],
  ['JSON syntax errors', '{"path": {"a": ', /^failed to parse policy: .+/],
  ['path given as a string', 'path = "a"', '"path" must be a map of blocks'],
  ['a JSON document that is not an object', '{"path": {"a": 3}}', 'path "a": expected a block'],
];
for (const [name, text, message] of errors) {
  test(`rejects ${name} with a 400`, () => rejects(text, message));
}

test('the built-in policies parse', async () => {
  const def = await parsePolicy('default', DEFAULT_POLICY);
  const patterns = def.rules.map((r) => r.pattern);
  for (const p of [
    'auth/token/lookup-self',
    'cubbyhole/*',
    'sys/wrapping/unwrap',
    'identity/oidc/provider/+/authorize',
  ])
    assert.ok(patterns.includes(p), p);
  const wrapping = await parsePolicy('response-wrapping', RESPONSE_WRAPPING_POLICY);
  assert.deepEqual(
    wrapping.rules.map((r) => [r.pattern, caps(r)]),
    [
      ['cubbyhole/response', ['create', 'read']],
      ['sys/wrapping/unwrap', ['update']],
    ],
  );
});

test('policy names are trimmed and lower-cased, with Vault warning', () => {
  assert.equal(normalizePolicyName(' Dev-Team '), 'dev-team');
  assert.equal(policyNameWarning('Dev'), 'policy name was converted to dev');
  assert.equal(policyNameWarning('dev'), undefined);
});

test('reserved policy names, however they are spelled', () => {
  const message = (fn: () => void) => {
    try {
      fn();
    } catch (error) {
      assert.equal((error as CofferError).status, 400);
      return (error as Error).message;
    }
    return undefined;
  };
  for (const spelling of ['root', 'Root', ' root', 'ROOT'])
    assert.equal(
      message(() => assertPolicyWritable(spelling)),
      'cannot update "root" policy',
    );
  assert.equal(
    message(() => assertPolicyWritable('response-wrapping')),
    'cannot update "response-wrapping" policy',
  );
  assert.equal(
    message(() => assertPolicyWritable('default')),
    undefined,
  );
  assert.equal(
    message(() => assertPolicyDeletable('ROOT')),
    'cannot delete "root" policy',
  );
  assert.equal(
    message(() => assertPolicyDeletable('Default')),
    'cannot delete default policy',
  );
  assert.equal(
    message(() => assertPolicyDeletable('dev')),
    undefined,
  );
  assert.equal(
    message(() => assertPoliciesAssignable(['dev', 'Response-Wrapping'])),
    'cannot assign policy "response-wrapping"',
  );
  assert.equal(
    message(() => assertPoliciesAssignable(['dev', 'default'])),
    undefined,
  );
});

test('fmt lays out HCL canonically and keeps comments', async () => {
  const messy =
    '# team\npath   "secret/*"{\ncapabilities=["read","list"]\n  # who\n    min_wrapping_ttl="1s"\n\n\n}\npath "a" { capabilities = ["read"], policy = "write" }\n';
  assert.equal(
    await formatPolicyHcl(messy),
    '# team\npath "secret/*" {\n  capabilities = ["read", "list"]\n  # who\n  min_wrapping_ttl = "1s"\n}\npath "a" {\n  capabilities = ["read"]\n  policy       = "write"\n}\n',
  );
});

test('fmt is idempotent, leaves the default policy unchanged and keeps the meaning', async () => {
  assert.equal(await formatPolicyHcl(DEFAULT_POLICY), DEFAULT_POLICY);
  const text =
    'path "a" {\n  capabilities = ["update"]\n  allowed_parameters = {\n    "k" = ["x", "y"]\n  }\n}\n';
  const once = await formatPolicyHcl(text);
  assert.equal(await formatPolicyHcl(once), once);
  assert.deepEqual(await parsePolicy('p', once), await parsePolicy('p', text));
});

test('fmt prints a JSON policy as HCL', async () => {
  const out = await formatPolicyHcl(
    '{"path": {"a/*": {"capabilities": ["read", "create"], "max_wrapping_ttl": "1m"}}}',
  );
  assert.equal(out, 'path "a/*" {\n  capabilities = ["create", "read"]\n  max_wrapping_ttl = "60s"\n}\n');
  assert.deepEqual(
    await parsePolicy('p', out),
    await parsePolicy(
      'p',
      '{"path": {"a/*": {"capabilities": ["read", "create"], "max_wrapping_ttl": "1m"}}}',
    ),
  );
});

test('fmt refuses an invalid policy with the parse error', async () => {
  await assert.rejects(
    formatPolicyHcl('path "a" {\n  capabilities = ["fly"]\n}'),
    /invalid capability "fly"/,
  );
});

/** HCL's `${`, kept out of JavaScript string literals so no reader takes them for JS templates. */
const INTERPOLATION = '$' + '{';

test('an HCL2 template HCL1 keeps as text is refused, not evaluated (SECURITY B6)', async () => {
  // Found by the policy fuzz: HCL2 turned this into `read`; Vault (HCL1) reads the literal text, an
  // invalid capability.
  const evaluated = `path "a" {\n  capabilities = ["re${INTERPOLATION}"a"}d"]\n}\n`;
  await rejects(evaluated, /template sequences .* are not supported/);
  // A template HCL2 leaves as written means the same in both, and stays accepted.
  const kept = `path "a" {\n  capabilities = ["read"]\n  allowed_parameters = { "k" = ["${INTERPOLATION}y}"] }\n}\n`;
  assert.deepEqual((await only(kept)).allowedParameters, { k: [`${INTERPOLATION}y}`] });
});

test('an HCL2 expression is refused, not kept as a key that matches nothing (SECURITY B6)', async () => {
  // Found by the policy fuzz: the key came back as the text `$\{""+"exportable"}`, so the deny denied nothing;
  // HCL1 (Vault) has no expressions and refuses the policy.
  const text = 'path "a" {\n  capabilities = ["update"]\n  denied_parameters = { ""+"exportable" = [] }\n}\n';
  await rejects(text, 'expressions are not supported: "+"');
  await rejects('path "a" {\n  capabilities = [upper("read")]\n}\n', 'expressions are not supported: "("');
  await rejects(
    'path "a" {\n  capabilities = ["read"]\n  max_wrapping_ttl = 60*2\n}\n',
    /expressions are not supported/,
  );
});

test('a leading byte-order mark is not part of the policy', async () => {
  const policy = await parsePolicy('bom', '\uFEFFpath "secret/*" {\n  capabilities = ["read"]\n}\n');
  assert.equal(policy.rules.length, 1);
});
