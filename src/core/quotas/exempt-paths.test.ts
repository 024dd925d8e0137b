import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_EXEMPT_PATHS, ExemptPaths } from './exempt-paths.js';

const cases = [
  { name: 'health is exempt by default', paths: DEFAULT_EXEMPT_PATHS, path: 'sys/health', exempt: true },
  { name: 'unseal is exempt by default', paths: DEFAULT_EXEMPT_PATHS, path: 'sys/unseal', exempt: true },
  {
    name: 'a secret is not exempt by default',
    paths: DEFAULT_EXEMPT_PATHS,
    path: 'secret/data/a',
    exempt: false,
  },
  { name: 'every entry is a prefix', paths: ['sys/health'], path: 'sys/healthz', exempt: true },
  { name: 'a trailing * changes nothing', paths: ['secret/*'], path: 'secret/data/a', exempt: true },
  {
    name: 'an exception limits again',
    paths: ['secret/', '!secret/data/'],
    path: 'secret/data/a',
    exempt: false,
  },
  {
    name: 'the longest prefix decides',
    paths: ['secret/', '!secret/data/'],
    path: 'secret/metadata/a',
    exempt: true,
  },
  { name: 'an empty list exempts nothing', paths: [], path: 'sys/health', exempt: false },
];

for (const c of cases) {
  test(`exempt paths: ${c.name}`, () => {
    assert.equal(new ExemptPaths(c.paths).has(c.path), c.exempt);
  });
}
