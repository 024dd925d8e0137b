/**
 * SECURITY.md I1, outage then recovery with a restart in between, end to end: PostgreSQL users with a
 * 3 s TTL, issued through a fault proxy, expire while the proxy refuses every connection. Coffer
 * retries with doubling backoff (base 1 s), is restarted on the same storage mid-backoff, carries on
 * from the retry count it had, and once the proxy passes again every user is dropped at the database:
 * no lease is left, nothing is irrevocable, and no password logs in over a direct connection.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eventually } from './helpers/eventually.js';
import { FaultProxy } from './helpers/fault-proxy.js';
import { type ScramCluster, startScramCluster } from './helpers/scram-postgres.js';
import { removeServerDir, restartOnSameStorage, startTestServer, type TestServer } from './helpers/server.js';

const CREATE = `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`;
/** Few enough that the whole outage stays well under a minute with Coffer's 1 s backoff base. */
const CREDENTIALS = 20;
const RETRY_BASE_MS = 1000;

interface Creds {
  lease_id: string;
  data: { username: string; password: string };
}

interface Retry {
  at: number;
  attempts: number;
  retryInMs: number;
}

/** The "will retry" lines of a server's output, by lease id, in the order they were written. */
function retriesIn(output: string): Map<string, Retry[]> {
  const out = new Map<string, Retry[]>();
  for (const line of output.split('\n')) {
    if (!line.includes('lease revocation failed; will retry')) continue;
    const fields = JSON.parse(line.slice(line.indexOf('{'))) as {
      lease_id: string;
      attempts: number;
      retry_in_ms: number;
    };
    const list = out.get(fields.lease_id) ?? [];
    list.push({
      at: Date.parse(line.slice(0, line.indexOf(' '))),
      attempts: fields.attempts,
      retryInMs: fields.retry_in_ms,
    });
    out.set(fields.lease_id, list);
  }
  return out;
}

describe('I1: lease revocation through a database outage and a restart (PostgreSQL)', () => {
  let cluster: ScramCluster;
  let proxy: FaultProxy;
  let server: TestServer;
  let root: string;
  const secrets: string[] = [];
  /** Output of every server process, the restarted one's included. */
  const outputs: (() => string)[] = [];

  const write = async (path: string, body: Record<string, unknown>) => {
    const res = await server.api('POST', path, body, root);
    assert.ok(res.status === 200 || res.status === 204, `${path}: ${res.status} ${res.text}`);
  };

  before(async () => {
    cluster = await startScramCluster();
    const admin = await cluster.createAdmin('coffer_i1');
    secrets.push(admin.password);
    proxy = await new FaultProxy(cluster.port).start();
    server = await startTestServer({ storage: 'sqlite' });
    outputs.push(server.output);
    root = server.rootToken;
    await write('sys/mounts/database', { type: 'database' });
    await write('database/config/viaproxy', {
      plugin_name: 'postgresql-database-plugin',
      connection_url: `postgresql://{{username}}:{{password}}@127.0.0.1:${proxy.port}/postgres`,
      username: admin.username,
      password: admin.password,
      allowed_roles: ['outage'],
    });
    await write('database/roles/outage', {
      db_name: 'viaproxy',
      creation_statements: [CREATE],
      default_ttl: 3,
    });
  });

  after(async () => {
    await server?.stop();
    if (server) await removeServerDir(server);
    await proxy?.close();
    await cluster?.stop();
  });

  test('users expiring while the proxy refuses are retried with backoff across a restart, then all dropped', async () => {
    const issued: Creds[] = [];
    for (let i = 0; i < CREDENTIALS; i++) {
      const res = await server.api('GET', 'database/creds/outage', undefined, root);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.lease_duration, 3);
      secrets.push(res.body.data.password);
      issued.push(res.body);
    }
    proxy.setMode('refuse');
    // Real logins, straight to the cluster: the users work before the outage.
    for (const creds of issued)
      assert.equal(await cluster.canLogin(creds.data.username, creds.data.password), true);
    const ids = issued.map((creds) => creds.lease_id);

    // Every lease expires and fails three times: the next retry is 2 to 6 s away (4 s ± 50%), so the
    // restart (which takes a second or two) falls mid-backoff.
    const firstOutput = server.output;
    await eventually(
      async () => {
        const retries = retriesIn(firstOutput());
        return ids.every((id) => (retries.get(id)?.at(-1)?.attempts ?? 0) >= 3);
      },
      45_000,
      'every lease retried three times during the outage',
    );
    const refusedBeforeRestart = proxy.refused;
    await server.stop();
    const beforeRestart = retriesIn(firstOutput());

    server = await restartOnSameStorage(server);
    outputs.push(server.output);
    await server.unseal();
    // The leases survived the restart, and their users are still there (the database is unreachable).
    for (const creds of issued) {
      const lookup = await server.api('PUT', 'sys/leases/lookup', { lease_id: creds.lease_id }, root);
      assert.equal(lookup.status, 200, `lease survives the restart: ${lookup.text}`);
      assert.equal(await cluster.roleExists(creds.data.username), true);
    }
    // The restarted server carries on retrying, counting on from where the first one stopped.
    const secondOutput = server.output;
    await eventually(
      async () => {
        const retries = retriesIn(secondOutput());
        return ids.every((id) => retries.has(id));
      },
      45_000,
      'every lease retried again after the restart',
    );
    assert.ok(proxy.refused > refusedBeforeRestart, 'the restarted server tried the database');
    const afterRestart = retriesIn(secondOutput());
    for (const id of ids) {
      const previous = Math.max(...beforeRestart.get(id)!.map((retry) => retry.attempts));
      const next = afterRestart.get(id)![0].attempts;
      assert.ok(next >= previous, `${id}: attempt ${next} after the restart, ${previous} before`);
    }

    proxy.setMode('pass');
    await eventually(
      async () => {
        for (const creds of issued) if (await cluster.roleExists(creds.data.username)) return false;
        return true;
      },
      // The next try is 8 s away, or 16 s on a loaded machine, and can start late.
      90_000,
      'every user dropped once the database is reachable',
    );
    for (const creds of issued)
      assert.equal(await cluster.canLogin(creds.data.username, creds.data.password), false);
    for (const creds of issued) {
      const lookup = await server.api('PUT', 'sys/leases/lookup', { lease_id: creds.lease_id }, root);
      assert.equal(lookup.status, 400, `the lease is gone once its user is: ${lookup.text}`);
    }
    const listed = await server.api('LIST', 'sys/leases/lookup/database/creds/outage/', undefined, root);
    assert.equal(listed.status, 404, listed.text);
    const count = await server.api('GET', 'sys/leases/count?type=irrevocable', undefined, root);
    assert.equal(count.status, 200, count.text);
    assert.equal(count.body.data.lease_count, 0);

    // Backoff: each retry waits base × 2^(attempt - 1) ± 50%, never less, on either side of the restart.
    const all = retriesIn(outputs.map((output) => output()).join('\n'));
    for (const id of ids) {
      const retries = all.get(id)!;
      for (const [i, retry] of retries.entries()) {
        const nominal = RETRY_BASE_MS * 2 ** (retry.attempts - 1);
        assert.ok(
          retry.retryInMs >= nominal / 2 && retry.retryInMs <= nominal * 1.5,
          `${id}: attempt ${retry.attempts} waits ${retry.retryInMs} ms, not 1 s × 2^n ± 50%`,
        );
        const next = retries[i + 1];
        // The line is written before the retry is stored: a stop in between logs the same attempt again.
        if (next && next.attempts === retry.attempts + 1)
          assert.ok(
            next.at - retry.at >= retry.retryInMs - 50,
            `${id}: attempt ${next.attempts} came ${next.at - retry.at} ms after ${retry.attempts}`,
          );
      }
    }
  });

  test('no password reached the server output', () => {
    for (const output of outputs)
      for (const secret of secrets) assert.ok(!output().includes(secret), 'secret found in server output');
  });
});
