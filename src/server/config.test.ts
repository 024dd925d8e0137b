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

test('lease TTLs: a negative one stops the server; 0 is the default 768h, never "no expiry"', () => {
  assert.throws(
    () => configFromObject({ ...base, default_lease_ttl: '-1h' }),
    /default_lease_ttl cannot be negative/,
  );
  assert.throws(() => configFromObject({ ...base, max_lease_ttl: -5 }), /max_lease_ttl cannot be negative/);
  const zero = configFromObject({ ...base, default_lease_ttl: '0s', max_lease_ttl: 0 });
  assert.equal(zero.defaultLeaseTtl, 768 * 3600);
  assert.equal(zero.maxLeaseTtl, 768 * 3600);
  const capped = configFromObject({ ...base, max_lease_ttl: '1h' });
  assert.equal(capped.defaultLeaseTtl, 3600, 'the default never passes the max');
});

const tlsListener = (extra: Record<string, unknown>) => ({
  ...base,
  listener: { tcp: [{ address: '127.0.0.1:0', tls_cert_file: 'c.pem', tls_key_file: 'k.pem', ...extra }] },
});

test("tls_min_version: Vault's four names; anything else stops the server rather than lowering the floor", () => {
  assert.equal(configFromObject(tlsListener({})).listeners[0].tlsMinVersion, 'TLSv1.2');
  assert.equal(
    configFromObject(tlsListener({ tls_min_version: 'tls13' })).listeners[0].tlsMinVersion,
    'TLSv1.3',
  );
  assert.equal(
    configFromObject(tlsListener({ tls_min_version: 'tls10' })).listeners[0].tlsMinVersion,
    'TLSv1',
  );
  for (const typo of ['tls1.3', 'TLS13', 'garbage'])
    assert.throws(
      () => configFromObject(tlsListener({ tls_min_version: typo })),
      /tls_min_version .* is not supported/,
    );
});

test("tls_disable reads Go's booleans; max_request_size 0 is the default; log_level takes Vault's names", () => {
  for (const value of ['TRUE', 't', 'True', '1', true])
    assert.equal(
      configFromObject({ ...base, listener: { tcp: [{ tls_disable: value }] } }).listeners[0].tlsDisable,
      true,
    );
  const sized = configFromObject({
    ...base,
    listener: { tcp: [{ tls_disable: true, max_request_size: 0 }] },
  });
  assert.equal(sized.listeners[0].maxRequestBytes, 32 << 20);
  assert.equal(configFromObject({ ...base, log_level: 'warning' }).logLevel, 'warn');
  assert.equal(configFromObject({ ...base, log_level: 'ERR' }).logLevel, 'error');
  assert.throws(() => configFromObject({ ...base, log_level: 'bogus' }), /unknown log level: bogus/);
});

test('max_request_duration: 90 s by default, default_max_request_duration for every listener, a listener may override', () => {
  const durationOf = (raw: Record<string, unknown>, listener: Record<string, unknown> = {}) =>
    configFromObject({ ...base, ...raw, listener: { tcp: [{ tls_disable: true, ...listener }] } })
      .listeners[0].maxRequestDurationMs;
  assert.equal(durationOf({}), 90_000);
  assert.equal(durationOf({ default_max_request_duration: '5s' }), 5000);
  assert.equal(durationOf({ default_max_request_duration: '5s' }, { max_request_duration: '2m' }), 120_000);
  assert.equal(durationOf({}, { max_request_duration: 0 }), 90_000, '0 is the default, as in Vault');
  assert.throws(
    () => durationOf({}, { max_request_duration: '-1s' }),
    /max_request_duration cannot be negative/,
  );
  assert.throws(() => durationOf({ default_max_request_duration: 'soon' }), /default_max_request_duration/);
  assert.throws(() => durationOf({}, { max_request_duration: '500ms' }), /must be at least 1s/);
  for (const zero of ['0s', '0h0m0s', '', '+0s'])
    assert.equal(durationOf({}, { max_request_duration: zero }), 90_000);
});

test('x_forwarded_for_*: off without authorized addresses; Vault defaults reject; lists as text or arrays', () => {
  const listener = (extra: Record<string, unknown>) =>
    configFromObject({ ...base, listener: { tcp: [{ tls_disable: true, ...extra }] } }).listeners[0];
  assert.equal(listener({ x_forwarded_for_hop_skips: 2 }).forwardedFor, undefined);
  assert.deepEqual(listener({ x_forwarded_for_authorized_addrs: '10.0.0.0/8, 192.0.2.1' }).forwardedFor, {
    authorizedAddrs: ['10.0.0.0/8', '192.0.2.1'],
    hopSkips: 0,
    rejectNotAuthorized: true,
    rejectNotPresent: true,
  });
  assert.deepEqual(
    listener({
      x_forwarded_for_authorized_addrs: ['::1/128'],
      x_forwarded_for_hop_skips: '1',
      x_forwarded_for_reject_not_authorized: 'false',
      x_forwarded_for_reject_not_present: false,
    }).forwardedFor,
    { authorizedAddrs: ['::1/128'], hopSkips: 1, rejectNotAuthorized: false, rejectNotPresent: false },
  );
  assert.throws(
    () => listener({ x_forwarded_for_authorized_addrs: '10.0.0.0/33' }),
    /invalid CIDR "10.0.0.0\/33"/,
  );
  assert.throws(
    () => listener({ x_forwarded_for_authorized_addrs: '10.0.0.0/8', x_forwarded_for_hop_skips: -1 }),
    /cannot be negative/,
  );
});

test('ui: off unless set; true, "true" and 1 turn it on; a value that is not a boolean stops the server', () => {
  assert.equal(configFromObject(base).ui, false);
  for (const on of [true, 'true', 1, 't']) assert.equal(configFromObject({ ...base, ui: on }).ui, true);
  for (const off of [false, 'false', 0]) assert.equal(configFromObject({ ...base, ui: off }).ui, false);
  for (const bad of ['yes', 'on', 2, ['true']])
    assert.throws(() => configFromObject({ ...base, ui: bad }), /ui: expected a boolean/);
});

test('api_addr and cluster_addr: the addresses an HA node records in the lock and sys/leader reports', () => {
  const config = configFromObject({
    ...base,
    api_addr: 'http://10.0.0.1:8200',
    cluster_addr: 'https://10.0.0.1:8201',
  });
  assert.equal(config.apiAddr, 'http://10.0.0.1:8200');
  assert.equal(config.clusterAddr, 'https://10.0.0.1:8201');
});
