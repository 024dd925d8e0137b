import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { sha256Hex } from './sha256.js';

test('sha256Hex is the SHA-256 of the UTF-8 bytes, as createHash gives it', () => {
  for (const text of [
    '',
    'a',
    'lease/auth/token/create/abc',
    'é€😀',
    'lone \ud800 surrogate',
    'k'.repeat(300),
  ])
    assert.equal(sha256Hex(text), createHash('sha256').update(text).digest('hex'));
});
