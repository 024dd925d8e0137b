import assert from 'node:assert/strict';
import { test } from 'node:test';
import { advertisedAddress } from './advertise.js';

test('a wildcard listener is advertised as the loopback address; any other address as it is', () => {
  const cases: [listener: string, advertised: string][] = [
    ['http://0.0.0.0:8200', 'http://127.0.0.1:8200'],
    ['https://[::]:8200', 'https://127.0.0.1:8200'],
    ['http://127.0.0.1:8200', 'http://127.0.0.1:8200'],
    ['http://[::1]:8200', 'http://[::1]:8200'],
    ['https://10.0.0.5:8200', 'https://10.0.0.5:8200'],
  ];
  for (const [listener, advertised] of cases) assert.equal(advertisedAddress(listener), advertised, listener);
});
