/** The ACL lookup every request makes: a token without an entity must cost what it cost before identities. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isPromise } from '../framework/maybe-promise.js';
import type { Acl } from '../policy/acl.js';
import type { UnsealedState } from './core.js';
import { CofferError } from './errors.js';
import { aclForToken } from './identity-acl.js';

type State = Pick<UnsealedState, 'policies' | 'identity'>;

function stateWith(resolve: (id: string) => unknown, onResolve: () => void = () => undefined) {
  const own = Promise.resolve({ own: true } as unknown as Acl);
  const withIdentity = Promise.resolve({ identity: true } as unknown as Acl);
  const state = {
    policies: { aclFor: () => own, aclWithIdentity: () => withIdentity },
    identity: {
      resolve: (id: string) => {
        onResolve();
        return resolve(id);
      },
    },
  } as unknown as State;
  return { state, own, withIdentity };
}

test('a token without an entity gets the policy store promise itself: no wrapper, no identity lookup', () => {
  let lookups = 0;
  const { state, own } = stateWith(
    () => undefined,
    () => lookups++,
  );
  assert.equal(aclForToken(state, ['default'], undefined), own);
  assert.equal(aclForToken(state, ['default'], ''), own);
  assert.equal(lookups, 0);
});

test("a deleted entity's token keeps its own policies; a live entity adds its identity", () => {
  const entity = { disabled: false };
  const { state, own, withIdentity } = stateWith((id) => (id === 'live' ? { entity } : undefined));
  assert.equal(aclForToken(state, ['default'], 'gone'), own);
  assert.equal(aclForToken(state, ['default'], 'live'), withIdentity);
});

test("a disabled entity's token is refused with the policy 403, as a rejection", async () => {
  const { state } = stateWith(() => ({ entity: { disabled: true } }));
  const result = aclForToken(state, ['default'], 'off');
  if (!isPromise(result)) assert.fail('a refusal is a rejection, never a value a caller could use');
  await assert.rejects(result, (error: unknown) => error instanceof CofferError && error.status === 403);
});
