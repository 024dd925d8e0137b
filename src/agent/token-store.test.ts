/** The auto-auth token store: readers hear of each new token once. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AutoAuthTokens } from './token-store.js';

test('the same token published again is not a new token; a different one is', () => {
  const tokens = new AutoAuthTokens();
  const heard: string[] = [];
  tokens.subscribe((token) => heard.push(token));
  tokens.publish('t1');
  tokens.publish('t1');
  tokens.publish('t2');
  assert.deepEqual(heard, ['t1', 't2']);
  assert.equal(tokens.current(), 't2');
});
