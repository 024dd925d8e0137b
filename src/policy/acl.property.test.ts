/**
 * Properties over random policy sets (seeded, so a failure replays): `capabilities()` predicts
 * `allowOperation()` exactly, and the indexed lookup agrees with a plain scan of Vault's rules.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mulberry32 } from '../framework/seeded-random.js';
import { Acl, type AclOperation } from './acl.js';
import { parsePolicy } from './parse.js';

const OPERATIONS: AclOperation[] = ['create', 'read', 'update', 'patch', 'delete', 'list'];
const CAPS = ['create', 'read', 'update', 'patch', 'delete', 'list', 'sudo', 'deny'];
// `ab` next to `a` makes string-prefix globs (`a*`) and exact segments collide.
const SEGMENTS = ['a', 'b', 'ab'];

function generator(seed: number) {
  const random = mulberry32(seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)];
  const pattern = () => {
    const parts = Array.from({ length: 1 + Math.floor(random() * 3) }, () =>
      random() < 0.25 ? '+' : pick(SEGMENTS),
    );
    const roll = random();
    // `+*` is invalid, so a glob after a trailing `+` goes after a slash.
    if (roll < 0.2) return `${parts.join('/')}/*`;
    if (roll < 0.4 && parts.at(-1) !== '+') return `${parts.join('/')}*`;
    return parts.join('/');
  };
  const path = () => {
    const parts = Array.from({ length: 1 + Math.floor(random() * 4) }, () => pick(SEGMENTS));
    return parts.join('/') + (random() < 0.3 ? '/' : '');
  };
  const policy = () =>
    Array.from({ length: 1 + Math.floor(random() * 5) }, () => {
      const caps = CAPS.filter(() => random() < 0.3);
      return `path "${pattern()}" {\n  capabilities = ${JSON.stringify(caps)}\n}\n`;
    }).join('');
  return { random, pick, path, policy };
}

/** A plain reading of acl.go, independent of the tries: scan every pattern, sort by Vault's order. */
function naiveAllowed(rules: Map<string, Set<string>>, path: string, op: AclOperation): boolean {
  const segmented = (p: string) => p === '+' || p.includes('/+') || p.startsWith('+/');
  const describe = (p: string) => {
    const isPrefix = p.endsWith('*');
    const wc = isPrefix ? p.slice(0, -1) : p;
    const first = segmented(p) ? p.indexOf('+') : wc.length;
    return { p, isPrefix, wc, first, plus: wc.split('/').filter((s) => s === '+').length };
  };
  type D = ReturnType<typeof describe>;
  const lower = (x: D, y: D) =>
    x.first !== y.first
      ? x.first < y.first
      : x.isPrefix !== y.isPrefix
        ? x.isPrefix
        : x.plus !== y.plus
          ? x.plus > y.plus
          : x.wc.length !== y.wc.length
            ? x.wc.length < y.wc.length
            : x.wc < y.wc;
  const segmentMatch = (d: D, target: string) => {
    const want = d.wc.split('/');
    const got = target.split('/');
    if (got.length < want.length || (!d.isPrefix && got.length !== want.length)) return false;
    return want.every(
      (w, i) => w === '+' || w === got[i] || (d.isPrefix && i === want.length - 1 && got[i].startsWith(w)),
    );
  };
  const nonExact = (target: string): string | undefined => {
    const all = [...rules.keys()].map(describe);
    const prefixes = all.filter((d) => !segmented(d.p) && d.isPrefix && target.startsWith(d.wc));
    prefixes.sort((x, y) => y.wc.length - x.wc.length);
    const candidates = [
      ...prefixes.slice(0, 1),
      ...all.filter((d) => segmented(d.p) && segmentMatch(d, target)),
    ];
    candidates.sort((x, y) => (lower(x, y) ? -1 : lower(y, x) ? 1 : 0));
    return candidates.at(-1)?.p;
  };
  const exact = (target: string) =>
    rules.has(target) && !segmented(target) && !target.endsWith('*') ? target : undefined;
  let chosen = exact(path);
  if (!chosen && op === 'list' && path.endsWith('/')) {
    const folder = path.slice(0, -1);
    chosen = exact(folder);
    if (!chosen) {
      const outer = nonExact(folder);
      const inner = nonExact(path);
      chosen = outer && !(inner && rules.get(inner)?.has('deny')) ? outer : inner;
    }
  }
  chosen ??= nonExact(path);
  const caps = chosen === undefined ? undefined : rules.get(chosen);
  return caps !== undefined && !caps.has('deny') && caps.has(op);
}

/** The same pattern in several policies: capabilities unioned, a deny anywhere wins. */
function merged(texts: string[]): Map<string, Set<string>> {
  const rules = new Map<string, Set<string>>();
  for (const text of texts) {
    for (const [, path, caps] of text.matchAll(/path "([^"]*)" \{\n {2}capabilities = (\[[^\]]*\])/g)) {
      const set = rules.get(path) ?? new Set<string>();
      for (const cap of JSON.parse(caps) as string[]) set.add(cap);
      rules.set(path, set.has('deny') ? new Set(['deny']) : set);
    }
  }
  return rules;
}

test('capabilities() predicts allowOperation() and matches a plain scan of the rules', async () => {
  const gen = generator(20261124);
  let checked = 0;
  for (let round = 0; round < 300; round++) {
    const texts = Array.from({ length: 1 + Math.floor(gen.random() * 4) }, gen.policy);
    const acl = new Acl(await Promise.all(texts.map((text, i) => parsePolicy(`p${i}`, text))));
    const rules = merged(texts);
    for (let i = 0; i < 8; i++) {
      const path = gen.path();
      const caps = acl.capabilities(path);
      for (const operation of OPERATIONS) {
        const verdict = acl.allowOperation({ path, operation });
        const context = `${operation} ${path} with ${JSON.stringify(texts)} → caps ${caps}`;
        assert.equal(caps.includes(operation), verdict.allowed, context);
        assert.equal(naiveAllowed(rules, path, operation), verdict.allowed, `naive scan: ${context}`);
        checked++;
      }
    }
  }
  assert.equal(checked >= 2000, true, `only ${checked} cases`);
});
