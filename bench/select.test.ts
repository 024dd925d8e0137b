import assert from 'node:assert/strict';
import { test } from 'node:test';
import { selectWorkloads } from './select.js';

const all = [
  { name: 'kv2-read' },
  { name: 'kv2-read-entity', optIn: true },
  { name: 'unseal-100k-leases', also: ['rss-100k', 'unseal-first-read'] },
];
const names = (list: { name: string }[]) => list.map((w) => w.name);

test('the default run leaves out opt-in workloads; --only runs them when named', () => {
  assert.deepEqual(names(selectWorkloads(all, undefined)), ['kv2-read', 'unseal-100k-leases']);
  assert.deepEqual(names(selectWorkloads(all, ['kv2-read-entity'])), ['kv2-read-entity']);
});

test('--only selects a workload by a row it also measures', () => {
  assert.deepEqual(names(selectWorkloads(all, ['rss-100k'])), ['unseal-100k-leases']);
  assert.deepEqual(names(selectWorkloads(all, ['kv2-read', 'nothing'])), ['kv2-read']);
});
