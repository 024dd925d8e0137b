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

test('listener timeouts: Vault http_read_header_timeout, http_read_timeout and http_idle_timeout', () => {
  const config = configFromObject({
    ...base,
    listener: {
      tcp: [
        {
          address: '127.0.0.1:0',
          tls_disable: true,
          http_read_header_timeout: '5s',
          http_read_timeout: 60,
          http_idle_timeout: '2m',
        },
      ],
    },
  });
  const [listener] = config.listeners;
  assert.deepEqual(
    [listener.readHeaderTimeoutMs, listener.readTimeoutMs, listener.idleTimeoutMs],
    [5000, 60_000, 120_000],
  );
  assert.throws(
    () => configFromObject({ ...base, listener: { tcp: [{ tls_disable: true, http_read_timeout: '0s' }] } }),
    /http_read_timeout must be positive/,
  );
});
