/** Redaction never shows the secret; fingerprints are stable; entropy tells random text from words. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { shannonEntropy } from './entropy.js';
import { fingerprint, redact } from './finding.js';
import { randomish } from './testing.js';

test('redaction shows at most four characters and the length', () => {
  const secret = randomish(40);
  assert.equal(redact(secret), `${secret.slice(0, 4)}…(40 chars)`);
  assert.ok(!redact(secret).includes(secret.slice(0, 5)));
});

test('a short secret shows at most a quarter of itself', () => {
  assert.equal(redact('abcdefgh'), 'ab…(8 chars)');
  assert.equal(redact('abc'), '…(3 chars)');
});

test('the fingerprint is a 16-hex sha256 of file:rule:secret, the same on every run', () => {
  const secret = 'not-a-real-secret-value';
  assert.equal(fingerprint('src/app.ts', 'generic-secret', secret), 'c62f2134cbba47ff');
  assert.equal(
    fingerprint('src/app.ts', 'generic-secret', secret),
    fingerprint('src/app.ts', 'generic-secret', secret),
  );
  assert.notEqual(
    fingerprint('src/app.ts', 'generic-secret', secret),
    fingerprint('src/b.ts', 'generic-secret', secret),
  );
  assert.notEqual(
    fingerprint('src/app.ts', 'generic-secret', secret),
    fingerprint('src/app.ts', 'jwt', secret),
  );
  assert.notEqual(
    fingerprint('src/app.ts', 'generic-secret', secret),
    fingerprint('src/app.ts', 'generic-secret', `${secret}x`),
  );
});

test('entropy: none for a repeated character, two bits for four distinct, more for random text', () => {
  assert.equal(shannonEntropy(''), 0);
  assert.equal(shannonEntropy('aaaaaaaa'), 0);
  assert.equal(shannonEntropy('abcd'), 2);
  assert.ok(shannonEntropy(randomish(32)) > 4);
  assert.ok(shannonEntropy('changeme') < 3);
});
