import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configFromObject } from './config.js';

const base = {
  storage: { inmem: [{}] },
  listener: { tcp: [{ address: '127.0.0.1:0', tls_disable: true }] },
};

test('user_lockout blocks: per label, Vault field names, durations in seconds', () => {
  const config = configFromObject({
    ...base,
    user_lockout: {
      all: [{ lockout_threshold: '10', lockout_duration: '10m', lockout_counter_reset: 300 }],
      userpass: [{ disable_lockout: true }],
    },
  });
  assert.deepEqual(config.userLockout, {
    all: { threshold: 10, durationSeconds: 600, counterResetSeconds: 300 },
    userpass: { disable: true },
  });
});

test('user_lockout blocks: an unknown auth type or a malformed threshold stops the server', () => {
  assert.throws(() => configFromObject({ ...base, user_lockout: { github: [{}] } }), /unsupported auth type/);
  assert.throws(
    () => configFromObject({ ...base, user_lockout: { all: [{ lockout_threshold: '-1' }] } }),
    /lockout_threshold must be a whole number/,
  );
});
