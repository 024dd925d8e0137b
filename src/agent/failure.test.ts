import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiError } from '../client/errors.js';
import { describeFailure } from './failure.js';

test('an API error becomes one line with the method, path, status and errors', () => {
  const error = new ApiError({
    method: 'PUT',
    url: 'http://127.0.0.1:8200/v1/auth/approle/login',
    status: 400,
    errors: ['invalid role or secret ID'],
  });
  assert.equal(describeFailure(error), 'PUT /v1/auth/approle/login: 400: invalid role or secret ID');
  assert.equal(describeFailure(new Error('no known role ID')), 'no known role ID');
});
