/** When the secret store fetches, renews and fetches again, on a fake clock and a fake server. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import { promisify } from 'node:util';
import type { ApiResponse, RequestOptions } from '../../client/client.js';
import { silentLogger } from '../../framework/log.js';
import type { TokenSource } from '../token-source.js';
import { SecretStore, type SecretStoreOptions } from './secret-store.js';
import { GoStruct } from './values.js';

const run = promisify(execFile);

type Route = (request: RequestOptions) => { status?: number; body?: unknown };

function fakeServer(routes: Record<string, Route>) {
  const requests: RequestOptions[] = [];
  const client = {
    request: async (request: RequestOptions): Promise<ApiResponse> => {
      requests.push(request);
      const route = routes[`${request.method} ${request.path}`];
      if (!route) return { status: 404, body: { errors: [] }, headers: {} };
      const { status = 200, body } = route(request);
      return { status, body, headers: {} };
    },
  };
  return { client, requests };
}

const kvV2Mount: Route = () => ({
  body: { data: { path: 'secret/', type: 'kv', options: { version: '2' } } },
});

function mutableToken(initial: string): TokenSource & { set(token: string): void } {
  let token = initial;
  return { current: () => token, subscribe: () => () => {}, set: (t) => (token = t) };
}

async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

function storeOn(client: SecretStoreOptions['client'], overrides: Partial<SecretStoreOptions> = {}) {
  const changes: number[] = [];
  const store = new SecretStore({
    client,
    tokens: mutableToken('t1'),
    log: silentLogger,
    signal: new AbortController().signal,
    staticIntervalMs: 60_000,
    leaseRenewalThreshold: 0.9,
    retry: { retries: 0, baseMs: 1, maxMs: 1 },
    onChange: () => changes.push(1),
    onError: () => {},
    random: () => 0.5,
    ...overrides,
  });
  return { store, changes };
}

/** Moves the clock to 1 ms before `ms` from now, then to `ms`: the secret is issued again exactly then. */
async function assertIssuedAgainAfter(ms: number, issued: () => number): Promise<void> {
  const before = issued();
  mock.timers.tick(ms - 1);
  await flush();
  assert.equal(issued(), before, `not yet ${ms - 1} ms later`);
  mock.timers.tick(1);
  await flush();
  assert.equal(issued(), before + 1, `issued again ${ms} ms later`);
}

/** One render pass asking for `paths`; loads what is missing and returns the values of a second pass. */
async function readAll(store: SecretStore, ...paths: string[]): Promise<unknown[]> {
  const first = store.session();
  for (const path of paths) first.server.secret(path);
  await store.load(first.missing.values());
  const second = store.session();
  return paths.map((path) => second.server.secret(path));
}

function data(value: unknown): unknown {
  assert.ok(value instanceof GoStruct);
  return value.fields.Data;
}

describe('SecretStore', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  test('KV v2: data/ goes after the mount, and one fetch serves every template of the round', async () => {
    let version = 1;
    const { client, requests } = fakeServer({
      'GET sys/internal/ui/mounts/secret/app': kvV2Mount,
      'GET secret/data/app': () => ({ body: { data: { data: { v: version++ } } } }),
    });
    const { store } = storeOn(client);
    const [a, b] = await readAll(store, 'secret/app', 'secret/app');
    assert.deepEqual(data(a), { data: { v: 1 } });
    assert.equal(a, b);
    assert.deepEqual(
      requests.map((r) => `${r.method} ${r.path} ${r.token}`),
      ['GET sys/internal/ui/mounts/secret/app t1', 'GET secret/data/app t1'],
    );
    const [again] = await readAll(store, 'secret/data/app');
    assert.deepEqual(data(again), { data: { v: 2 } }, 'a path that has data/ already is kept');
    await readAll(store, 'secret/app?version=1');
    const versioned = requests.at(-1)!;
    assert.equal(versioned.path, 'secret/data/app');
    assert.equal(String(versioned.query), 'version=1');
  });

  test('a secret without a lease is read again every static_secret_render_interval; a change is reported', async () => {
    let value = 'a';
    const { client, requests } = fakeServer({ 'GET kv1/app': () => ({ body: { data: { value } } }) });
    const { store, changes } = storeOn(client);
    await readAll(store, 'kv1/app');
    const reads = () => requests.filter((r) => r.path === 'kv1/app').length;
    mock.timers.tick(59_999);
    await flush();
    assert.equal(reads(), 1);
    mock.timers.tick(1);
    await flush();
    assert.equal(reads(), 2);
    assert.equal(changes.length, 0, 'same data: no re-render');
    value = 'b';
    mock.timers.tick(60_000);
    await flush();
    assert.equal(reads(), 3);
    assert.equal(changes.length, 1);
  });

  test('a renewable lease is renewed at about 2/3 of its duration, with the granted increment, and not fetched again', async () => {
    const { client, requests } = fakeServer({
      'GET database/creds/ro': () => ({
        body: {
          lease_id: 'database/creds/ro/abc',
          lease_duration: 30,
          renewable: true,
          data: { password: 'p' },
        },
      }),
      'PUT sys/leases/renew': () => ({
        body: { lease_id: 'database/creds/ro/abc', lease_duration: 30, renewable: true },
      }),
    });
    const { store, changes } = storeOn(client);
    await readAll(store, 'database/creds/ro');
    // 30 s × 2/3 × (0.9 + 0.1 × 0.5) = 19 s
    mock.timers.tick(18_999);
    await flush();
    assert.equal(requests.filter((r) => r.path === 'sys/leases/renew').length, 0);
    mock.timers.tick(1);
    await flush();
    const renewals = requests.filter((r) => r.path === 'sys/leases/renew');
    assert.equal(renewals.length, 1);
    assert.deepEqual(renewals[0].body, { lease_id: 'database/creds/ro/abc', increment: 30 });
    mock.timers.tick(19_000);
    await flush();
    assert.equal(requests.filter((r) => r.path === 'sys/leases/renew').length, 2);
    assert.equal(
      requests.filter((r) => r.path === 'database/creds/ro').length,
      1,
      'renewed, never re-issued',
    );
    assert.equal(changes.length, 0);
  });

  test('a lease capped by its max TTL is fetched again before it ends', async () => {
    let issued = 0;
    const { client, requests } = fakeServer({
      'GET database/creds/ro': () => ({
        body: { lease_id: `l/${++issued}`, lease_duration: 30, renewable: true, data: { n: issued } },
      }),
      'PUT sys/leases/renew': () => ({ body: { lease_id: 'l/1', lease_duration: 10, renewable: true } }),
    });
    const { store, changes } = storeOn(client);
    await readAll(store, 'database/creds/ro');
    mock.timers.tick(19_000);
    await flush();
    // Renewed to 10 s only: fetched again at 0.9 × 10 s.
    await assertIssuedAgainAfter(9_000, () => issued);
    assert.equal(changes.length, 1);
    assert.equal(requests.filter((r) => r.path === 'sys/leases/renew').length, 1);
  });

  test('a leased, non-renewable secret is fetched again at lease_renewal_threshold of its TTL', async () => {
    let issued = 0;
    const { client } = fakeServer({
      'GET aws/creds/x': () => ({
        body: {
          lease_id: `aws/creds/x/${++issued}`,
          lease_duration: 100,
          renewable: false,
          data: { n: issued },
        },
      }),
    });
    const { store, changes } = storeOn(client, { leaseRenewalThreshold: 0.85 });
    await readAll(store, 'aws/creds/x');
    await assertIssuedAgainAfter(85_000, () => issued);
    assert.equal(changes.length, 1);
  });

  test('KV v1 (a lease duration, no lease id) is leased and non-renewable: fetched again at the threshold', async () => {
    let reads = 0;
    const { client } = fakeServer({
      'GET kv1/app': () => ({ body: { lease_duration: 1000, data: { n: ++reads } } }),
    });
    const { store } = storeOn(client);
    await readAll(store, 'kv1/app');
    await assertIssuedAgainAfter(900_000, () => reads);
  });

  test('a database static role is fetched again when its ttl runs out', async () => {
    let reads = 0;
    const { client } = fakeServer({
      'GET database/static-creds/app': () => ({
        body: { data: { password: `p${++reads}`, rotation_period: 3600, ttl: 42 } },
      }),
    });
    const { store, changes } = storeOn(client);
    await readAll(store, 'database/static-creds/app');
    await assertIssuedAgainAfter(42_000, () => reads);
    assert.equal(changes.length, 1);
  });

  test('a certificate issued without a lease is issued again before it expires, not every interval', async () => {
    const self = 'req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null';
    const { stdout: pem } = await run('openssl', [...self.split(' '), '-subj', '/CN=a', '-days', '1']);
    let issued = 0;
    const { client } = fakeServer({
      'PUT pki/issue/web': () => ({ body: { data: { certificate: pem, n: ++issued } } }),
    });
    const { store } = storeOn(client);
    const session = store.session();
    session.server.secret('pki/issue/web', 'common_name=a.example.com');
    await store.load(session.missing.values());
    mock.timers.tick(0.85 * 86_400_000);
    await flush();
    assert.equal(issued, 1, 'not at the static interval, nor before 85% of its validity');
    mock.timers.tick(0.1 * 86_400_000);
    await flush();
    assert.equal(issued, 2);
  });

  test('each fetch sends the token the token source holds now', async () => {
    const tokens = mutableToken('t1');
    const { client, requests } = fakeServer({ 'GET kv1/app': () => ({ body: { data: { v: 1 } } }) });
    const { store } = storeOn(client, { tokens });
    await readAll(store, 'kv1/app');
    tokens.set('t2');
    mock.timers.tick(60_000);
    await flush();
    assert.deepEqual(
      requests.filter((r) => r.path === 'kv1/app').map((r) => r.token),
      ['t1', 't2'],
    );
  });

  test('secret "path" "k=v" writes those fields; a bad pair is refused without its value', async () => {
    const { client, requests } = fakeServer({
      'PUT pki/issue/web': () => ({ body: { data: { certificate: 'C' } } }),
    });
    const { store } = storeOn(client);
    const session = store.session();
    session.server.secret('pki/issue/web', 'common_name=a.example.com', 'ttl=1h');
    await store.load(session.missing.values());
    assert.deepEqual(requests[0].body, { common_name: 'a.example.com', ttl: '1h' });
    assert.throws(
      () => store.session().server.secret('pki/issue/web', 'hunter2'),
      (error: Error) => {
        assert.equal(error.message, 'secret: argument 2 is not a key=value pair');
        return true;
      },
    );
  });

  test('a write answered 204 gives an empty secret', async () => {
    const { client } = fakeServer({ 'PUT transit/keys/k': () => ({ status: 204 }) });
    const { store } = storeOn(client);
    const session = store.session();
    session.server.secret('transit/keys/k', 'type=aes256-gcm96');
    await store.load(session.missing.values());
    const value = store.session().server.secret('transit/keys/k', 'type=aes256-gcm96');
    assert.deepEqual(data(value), {});
  });

  test('nothing at the path is an error naming the path', async () => {
    const { client } = fakeServer({});
    const { store } = storeOn(client);
    await assert.rejects(readAll(store, 'kv1/none'), { message: 'no secret exists at kv1/none' });
  });
});

describe('SecretStore after clear() or the stop', () => {
  function deferred<T>() {
    let resolve!: (value: T) => void;
    const promise = new Promise<T>((r) => (resolve = r));
    return { promise, resolve };
  }

  test('a fetch begun with the old token is not served after clear(); the next load fetches again', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const slow = deferred<void>();
      const tokens: string[] = [];
      const client = {
        request: async (request: RequestOptions): Promise<ApiResponse> => {
          tokens.push(request.token!);
          if (request.token === 't1') await slow.promise;
          return { status: 200, body: { data: { v: request.token } }, headers: {} };
        },
      };
      const source = mutableToken('t1');
      const { store } = storeOn(client, { tokens: source });
      const first = store.session();
      first.server.secret('kv1/app');
      const loading = store.load(first.missing.values());
      await flush();
      source.set('t2');
      store.clear();
      slow.resolve();
      await loading;
      const second = store.session();
      assert.equal(second.server.secret('kv1/app'), undefined, "not the old token's answer");
      await store.load(second.missing.values());
      assert.deepEqual(data(store.session().server.secret('kv1/app')), { v: 't2' });
      store.clear();
    } finally {
      mock.timers.reset();
    }
  });

  // Bounded: the wait below polls for a renewal that, were renewals broken, would never come.
  test('a renewal that answers after the stop leaves no timer behind', { timeout: 10_000 }, async () => {
    const renewal = deferred<void>();
    let renewing = false;
    const client = {
      request: async (request: RequestOptions): Promise<ApiResponse> => {
        if (request.path === 'sys/leases/renew') {
          renewing = true;
          await renewal.promise;
          return { status: 200, body: { lease_id: 'l', lease_duration: 3600, renewable: true }, headers: {} };
        }
        return {
          status: 200,
          body: { lease_id: 'l', lease_duration: 1, renewable: true, data: { p: 'x' } },
          headers: {},
        };
      },
    };
    const stop = new AbortController();
    const { store } = storeOn(client, { signal: stop.signal, random: () => 0 });
    await readAll(store, 'database/creds/ro');
    // 1 s × 2/3 × 0.9 = 600 ms (a real clock: the check is on the process's live timers).
    while (!renewing) await new Promise((resolve) => setTimeout(resolve, 50));
    const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
    stop.abort();
    store.clear();
    const before = timers();
    renewal.resolve();
    await flush();
    assert.equal(timers(), before, 'no 40-minute renewal timer for a stopped store');
  });
});
