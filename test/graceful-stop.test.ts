/**
 * SIGTERM with logins in flight (a rolling restart): as in Vault, the seal waits for them, so each
 * gets its token; a login that arrives meanwhile is refused (503 or a closed connection), none gets a
 * 500, the server exits 0 and leaves no token that its client never received.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTokenReviewServer } from '../src/auth/kubernetes/testing.js';
import { removeServerDir, restartOnSameStorage, startTestServer } from './helpers/server.js';

const ACCOUNT = { namespace: 'payments', name: 'api', uid: '6d1c3f0e-2b7a-4e55-9c1d-8a2f4b6e0c31' };
const IN_FLIGHT = 8;

test('SIGTERM while logins wait on a slow TokenReview: each gets its token, the server exits 0', async () => {
  const [server, k8s] = await Promise.all([startTestServer({ storage: 'sqlite' }), startTokenReviewServer()]);
  const root = server.rootToken;
  const accessors = async (on = server) =>
    (await on.api('LIST', 'auth/token/accessors', undefined, root)).body.data.keys.length as number;
  try {
    await server.api('POST', 'sys/auth/kubernetes', { type: 'kubernetes' }, root);
    await server.api(
      'PUT',
      'auth/kubernetes/config',
      { kubernetes_host: k8s.url, kubernetes_ca_cert: k8s.caPem, disable_local_ca_jwt: true },
      root,
    );
    await server.api(
      'PUT',
      'auth/kubernetes/role/app',
      { bound_service_account_names: 'api', bound_service_account_namespaces: 'payments' },
      root,
    );
    const jwt = await k8s.issueToken(ACCOUNT);
    const tokensBefore = await accessors();
    const login = () =>
      server.api('PUT', 'auth/kubernetes/login', { role: 'app', jwt }).then(
        (res) => res.status,
        () => 'closed' as const,
      );

    // Longer than the 2 s the listener used to give a request before it cut the connection.
    k8s.setDelay(3000);
    const logins = Array.from({ length: IN_FLIGHT }, login);
    for (let waited = 0; k8s.reviews.length < IN_FLIGHT; waited += 20) {
      assert.ok(waited < 10_000, `only ${k8s.reviews.length} of ${IN_FLIGHT} logins reached the TokenReview`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const exited = new Promise<number | null>((resolve) => server.process.once('exit', resolve));
    server.process.kill('SIGTERM');
    // Not a fixed pause: on a loaded machine the signal may be handled later than any guess.
    for (let waited = 0; !server.output().includes('shutdown triggered'); waited += 20) {
      assert.ok(waited < 10_000, `SIGTERM not handled:\n${server.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const late = await login();

    assert.deepEqual(await Promise.all(logins), Array(IN_FLIGHT).fill(200), server.output());
    assert.ok(late === 503 || late === 'closed', `a login after SIGTERM got ${late}`);
    assert.equal(await exited, 0, server.output());
    assert.doesNotMatch(server.output(), /\[ERROR\] core: request failed/);

    const again = await restartOnSameStorage(server);
    try {
      await again.unseal();
      assert.equal((await accessors(again)) - tokensBefore, IN_FLIGHT, 'one token per login answered');
    } finally {
      await again.stop();
    }
  } finally {
    await server.stop();
    await Promise.all([removeServerDir(server), k8s.close()]);
  }
});
