/**
 * SECURITY B6, the oracle: over 2,000 seeded (policy set, path, operation) triples on a real core,
 * `sys/capabilities-self`, `sys/capabilities` and `sys/capabilities-accessor` agree, and predict exactly
 * whether the pipeline then refuses the request with a 403.
 *
 * Known limit, not generated: on a folder path (`x/`) of a root-protected prefix, a GET and a LIST can be
 * decided by two rules with different `sudo`; one flat answer cannot predict both (it follows the LIST).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { CofferError } from '../core/errors.js';
import { startDevCore } from '../core/testing.js';
import { loadBuiltinEngines } from '../engines/registry.js';
import type { Operation } from '../framework/logical.js';
import { isSudoPath } from './acl.js';

const SEED = 20261201;

/** Sys and token paths (some root-protected) with the operations they serve, and a path no mount has. */
const SYS_PATHS: [string, Operation[]][] = [
  ['sys/audit', ['read']],
  ['sys/mounts', ['read']],
  ['sys/policies/acl', ['list']],
  ['sys/policies/acl/p0', ['read']],
  ['sys/leases/lookup', ['list']],
  ['auth/token/accessors', ['list']],
  ['auth/token/lookup-self', ['read']],
  ['sys/capabilities-self', ['update']],
  ['sys/config/cors', ['read']],
  ['sys/auth/x', ['read']],
  ['sys/leases/lookup/x', ['read']],
  ['sys/raw/kv', ['read']],
  ['sys/leases/lookup/', ['read']],
  ['nomount/a', ['read', 'update', 'list']],
];
const OPERATIONS: Operation[] = ['read', 'list', 'update', 'patch', 'delete'];
const CAPABILITIES = ['create', 'read', 'update', 'patch', 'delete', 'list', 'sudo', 'deny'];

/** `kv/…` (KV v1) and `cubbyhole/…`, with segments where `a*` globs and `a` literals collide. */
const storedPath = fc
  .tuple(
    fc.constantFrom('kv', 'cubbyhole'),
    fc.array(fc.constantFrom('a', 'b', 'ab'), { minLength: 1, maxLength: 3 }),
  )
  .map(([mount, parts]) => [mount, ...parts].join('/'));
const request = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom(...OPERATIONS), storedPath) },
  // GET kv/a/ is a read of a folder path: the plain lookup decides it, not the list one.
  {
    weight: 1,
    arbitrary: fc.tuple(
      fc.constantFrom(...OPERATIONS),
      storedPath.map((p) => `${p}/`),
    ),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(...SYS_PATHS)
      .chain(([path, ops]) => fc.tuple(fc.constantFrom(...ops), fc.constant(path))),
  },
);

type Tail = 'exact' | 'glob' | 'folder-glob' | 'partial-glob' | 'slash';
/** A pattern made from a request path: cut short, segments turned into `+`, then a tail. */
function patternOf(path: string, cut: number, plus: boolean[], tail: Tail): string {
  const parts = path.split('/');
  const kept = parts.slice(0, Math.max(1, parts.length - cut)).map((s, i) => (i > 0 && plus[i] ? '+' : s));
  const joined = kept.join('/');
  const last = kept.at(-1)!;
  // `+*` does not parse (the fuzz test covers it), so a glob after `+` goes after a slash.
  if (tail === 'glob') return last === '+' ? `${joined}/*` : `${joined}*`;
  if (tail === 'folder-glob') return `${joined}/*`;
  if (tail === 'partial-glob')
    return last === '+' || last.length < 2
      ? `${joined}/*`
      : `${kept.slice(0, -1).concat(last.slice(0, -1)).join('/')}*`;
  if (tail === 'slash') return `${joined}/`;
  return joined;
}
const pattern = fc
  .tuple(
    fc.oneof(
      { weight: 4, arbitrary: storedPath },
      { weight: 1, arbitrary: fc.constantFrom(...SYS_PATHS.map(([p]) => p)) },
    ),
    fc.nat(3),
    fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
    fc.constantFrom<Tail>('exact', 'exact', 'glob', 'folder-glob', 'partial-glob', 'slash'),
  )
  .map(([path, cut, plus, tail]) => patternOf(path, cut, plus, tail));
/** Mostly derived patterns; some catch-alls, and a leading `/` that the parser strips. */
const anyPattern = fc.oneof(
  { weight: 12, arbitrary: pattern },
  { weight: 1, arbitrary: fc.constantFrom('*', '+', '+/*', '+/+', '+/a', 'kv/+/*', 'sys/*', 'kv*', 'kv/') },
  { weight: 1, arbitrary: pattern.map((p) => `/${p}`) },
);
/**
 * Parameter and wrapping constraints, the same on every block of a triple: whichever rule governs, its
 * constraints are these, so the expected verdict needs no second model of rule selection.
 */
interface Constraints {
  required?: string[];
  allowed?: Record<string, string[]>;
  denied?: Record<string, string[]>;
  minWrap?: number;
  maxWrap?: number;
}
const KEYS = ['p', 'q', 'paths'];
const valueLists = fc.dictionary(fc.constantFrom(...KEYS, '*'), fc.subarray(['x', 'y', 'x*', '*y']), {
  minKeys: 1,
  maxKeys: 3,
});
const constraints: fc.Arbitrary<Constraints> = fc
  .record(
    {
      required: fc.subarray(['p', 'q'], { minLength: 1 }),
      allowed: valueLists,
      denied: valueLists,
      minWrap: fc.constantFrom(30, 120),
      maxWrap: fc.constantFrom(60, 300),
    },
    { requiredKeys: [] },
  )
  // A block whose max is below its min is a parse error, which the fuzz test covers.
  .filter((c) => !(c.minWrap && c.maxWrap && c.maxWrap < c.minWrap));

interface Block {
  pattern: string;
  caps: string[];
}
const block: fc.Arbitrary<Block> = fc
  .tuple(anyPattern, fc.subarray(CAPABILITIES.filter((c) => c !== 'deny')), fc.nat(5))
  // One block in six denies, so a deny is common without drowning every grant.
  .map(([p, caps, roll]) => ({ pattern: p, caps: roll === 0 ? [...caps, 'deny'] : caps }));

const hclList = (values: string[]) => `[${values.map((v) => JSON.stringify(v)).join(', ')}]`;
const hclMap = (map: Record<string, string[]>) =>
  `{ ${Object.entries(map)
    .map(([k, v]) => `${JSON.stringify(k)} = ${hclList(v)}`)
    .join(', ')} }`;

/** One policy's text, in HCL or in JSON (the list-of-maps form, so a pattern may repeat). */
function policyText(blocks: Block[], c: Constraints, json: boolean): string {
  const body = (b: Block) => ({
    capabilities: b.caps,
    ...(c.required && { required_parameters: c.required }),
    ...(c.allowed && { allowed_parameters: c.allowed }),
    ...(c.denied && { denied_parameters: c.denied }),
    ...(c.minWrap && { min_wrapping_ttl: `${c.minWrap}s` }),
    ...(c.maxWrap && { max_wrapping_ttl: c.maxWrap }),
  });
  if (json) return JSON.stringify({ path: blocks.map((b) => ({ [b.pattern]: body(b) })) });
  return blocks
    .map((b) => {
      const lines = Object.entries(body(b)).map(([key, value]) => {
        const text = Array.isArray(value)
          ? hclList(value)
          : typeof value === 'object'
            ? hclMap(value)
            : JSON.stringify(value);
        return `  ${key} = ${text}`;
      });
      return `path "${b.pattern}" {\n${lines.join('\n')}\n}\n`;
    })
    .join('\n');
}

const globMatch = (pattern: string, value: string) =>
  pattern.startsWith('*')
    ? value.endsWith(pattern.slice(1))
    : pattern.endsWith('*')
      ? value.startsWith(pattern.slice(0, -1))
      : pattern === value;
const listed = (list: string[], value: unknown) =>
  list.length === 0 || list.some((p) => typeof value === 'string' && globMatch(p, value));

/** Vault's acl.go checks after the capability one: wrapping bounds, then (not for list or delete) parameters. */
function constraintsAllow(
  c: Constraints,
  operation: Operation,
  data: Record<string, unknown>,
  wrap?: number,
): boolean {
  if (c.maxWrap && (wrap === undefined || wrap > c.maxWrap)) return false;
  if (c.minWrap && (wrap === undefined || wrap < c.minWrap)) return false;
  if (operation === 'list' || operation === 'delete') return true;
  if (c.required?.some((key) => !(key in data))) return false;
  const entries = Object.entries(data);
  if (entries.length === 0) return true;
  if (c.denied) {
    if ('*' in c.denied) return false;
    if (entries.some(([key, value]) => c.denied![key] && listed(c.denied![key], value))) return false;
  }
  if (!c.allowed) return true;
  const all = '*' in c.allowed;
  if (all && Object.keys(c.allowed).length === 1) return true;
  return entries.every(([key, value]) => (c.allowed![key] ? listed(c.allowed![key], value) : all));
}

const requestData = fc.dictionary(fc.constantFrom('p', 'q', 'v'), fc.constantFrom('x', 'y', 'xy', 'z'), {
  maxKeys: 3,
});
const triple = fc
  .record({
    policies: fc.array(fc.array(block, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 3 }),
    json: fc.boolean(),
    constraints: fc.oneof(
      { weight: 2, arbitrary: fc.constant<Constraints>({}) },
      { weight: 1, arbitrary: constraints },
    ),
    withDefault: fc.boolean(),
    root: fc.nat(49).map((n) => n === 0),
    request,
    data: requestData,
    wrap: fc.option(fc.constantFrom(45, 90, 200, 400), { nil: undefined }),
  })
  // The default policy's rules carry no constraints; with them the governing rule's would vary.
  .map((t) => ({ ...t, withDefault: t.withDefault && Object.keys(t.constraints).length === 0 }));

/** A dev core on in-memory storage with a KV v1 mount at `kv/`, driven through the real pipeline. */
async function startCore() {
  const { core, rootToken, send } = await startDevCore({ engines: await loadBuiltinEngines() });
  const call = (
    operation: Operation,
    path: string,
    token: string,
    data: Record<string, unknown> = {},
    wrap?: number,
  ) => send(operation, path, token, data, { wrapTtlSeconds: wrap });
  /** The HTTP status the request gets; anything but a CofferError would be a bare 500 and fails the test. */
  const status = async (
    operation: Operation,
    path: string,
    token: string,
    data: Record<string, unknown>,
    wrap?: number,
  ) => {
    try {
      return (await call(operation, path, token, data, wrap)).response?.httpStatus ?? 200;
    } catch (error) {
      if (error instanceof CofferError) return error.status;
      throw error;
    }
  };
  const root = (operation: Operation, path: string, data: Record<string, unknown> = {}) =>
    call(operation, path, rootToken, data);
  await root('update', 'sys/mounts/kv', { type: 'kv', options: { version: '1' } });
  return { core, call, status, root };
}

let h: Awaited<ReturnType<typeof startCore>>;
before(async () => {
  h = await startCore();
});
after(() => h.core.sealVault());

/**
 * The three endpoints' answers for one path; they must agree, and capabilities-self must itself be
 * allowed exactly when the token's capabilities on it (and the constraints on its `paths`) say so.
 */
async function capabilitiesOf(
  token: string,
  accessor: string,
  path: string,
  c: Constraints,
): Promise<string[]> {
  const byToken = (await h.root('update', 'sys/capabilities', { token, paths: [path] })).response?.data;
  const byAccessor = (await h.root('update', 'sys/capabilities-accessor', { accessor, paths: [path] }))
    .response?.data;
  const caps = byToken?.[path] as string[];
  assert.deepEqual(byAccessor?.[path], caps, 'capabilities-accessor agrees with capabilities');
  assert.deepEqual(byToken?.capabilities, caps, 'the single-path `capabilities` key');
  const selfCaps = (await h.root('update', 'sys/capabilities', { token, paths: ['sys/capabilities-self'] }))
    .response?.data?.capabilities as string[];
  const data = { paths: [path] };
  const selfAllowed =
    selfCaps.includes('root') || (selfCaps.includes('update') && constraintsAllow(c, 'update', data));
  const self = await h.status('update', 'sys/capabilities-self', token, data);
  assert.equal(
    self !== 403,
    selfAllowed,
    `capabilities-self answered ${self}; its own capabilities are ${selfCaps}`,
  );
  if (self === 200) {
    const answer = (await h.call('update', 'sys/capabilities-self', token, data)).response?.data;
    assert.deepEqual(answer?.[path], caps, 'capabilities-self agrees with capabilities');
  }
  return caps;
}

/** Whether an update of `path` by this token is an update (the target exists) or a create, as the pipeline decides. */
async function writeNeeds(path: string): Promise<'create' | 'update'> {
  // Folder paths (a LIST route), sys paths and unmounted ones have no existence check; a fresh token's
  // cubbyhole is empty.
  if (path.endsWith('/')) return 'update';
  if (path.startsWith('cubbyhole/')) return 'create';
  if (!path.startsWith('kv/')) return 'update';
  return (await h.root('read', path)).response?.data ? 'update' : 'create';
}

test('sys/capabilities* predict allow or deny exactly over 2,000 random triples', async () => {
  const outcomes = { allowed: 0, denied: 0, byConstraints: 0 };
  await fc.assert(
    fc.asyncProperty(triple, async (t) => {
      const [operation, path] = t.request;
      const names = t.policies.map((_, i) => `p${i}`);
      for (const [i, blocks] of t.policies.entries())
        await h.root('update', `sys/policies/acl/p${i}`, {
          policy: policyText(blocks, t.constraints, t.json),
        });
      const created = await h.root('update', 'auth/token/create', {
        policies: t.root ? [...names, 'root'] : names,
        no_default_policy: !t.withDefault,
      });
      const token = String(created.auth?.client_token);
      const accessor = String(created.auth?.accessor);
      const target = operation === 'list' && !path.endsWith('/') ? `${path}/` : path;
      const caps = await capabilitiesOf(token, accessor, target, t.constraints);
      const needed = operation === 'update' ? await writeNeeds(target) : operation;
      const granted = caps.includes(needed) && (!isSudoPath(target) || caps.includes('sudo'));
      const allowed = granted && constraintsAllow(t.constraints, needed, t.data, t.wrap);
      const status = await h.status(operation, target, token, t.data, t.wrap);
      const context = `${operation} ${target} (needs ${needed}), caps ${caps}, data ${JSON.stringify(t.data)}, wrap ${t.wrap}`;
      assert.equal(status !== 403, caps.includes('root') || allowed, `${context}: ${status}`);
      outcomes[allowed ? 'allowed' : 'denied']++;
      if (granted && !allowed) outcomes.byConstraints++;
    }),
    { seed: SEED, numRuns: 2000 },
  );
  // Both outcomes must be common, or the property says little.
  assert.ok(
    outcomes.allowed > 300 && outcomes.denied > 300 && outcomes.byConstraints > 50,
    JSON.stringify(outcomes),
  );
});
