import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createScryptHasher, kdfConcurrency } from './password-hash.js';

const hasher = createScryptHasher({ n: 1024, r: 8, p: 1 });

test('a hash verifies its own password only', async () => {
  const stored = await hasher.hash('s3cret');
  assert.equal(await hasher.verify('s3cret', stored), true);
  assert.equal(await hasher.verify('s3cret ', stored), false);
  assert.equal(await hasher.verify('', stored), false);
});

test('each hash has its own salt and records its cost, never the password', async () => {
  const a = await hasher.hash('same');
  const b = await hasher.hash('same');
  assert.notEqual(a.salt, b.salt);
  assert.notEqual(a.hash, b.hash);
  assert.deepEqual([a.algorithm, a.n, a.r, a.p], ['scrypt', 1024, 8, 1]);
  assert.equal(JSON.stringify(a).includes('same'), false);
});

test('a hash made at another cost still verifies', async () => {
  const older = await createScryptHasher({ n: 2048, r: 8, p: 1 }).hash('pw');
  assert.equal(await hasher.verify('pw', older), true);
});

test('the dummy hash is made once and matches no password', async () => {
  const dummy = await hasher.dummy();
  assert.equal(await hasher.dummy(), dummy);
  assert.equal(await hasher.verify('', dummy), false);
});

test('hashes leave a core for the event loop, run one at a time on a single core, and four at most', () => {
  assert.equal(kdfConcurrency(1), 1);
  assert.equal(kdfConcurrency(2), 1);
  assert.equal(kdfConcurrency(4), 3);
  assert.equal(kdfConcurrency(16), 4); // bounded memory: four 32 MiB hashes at most
});
