/** The server process and its configuration file: a listener that cannot open ends the process. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

test('a listener whose port is taken stops the server: it exits non-zero instead of serving on the others', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'coffer-config-'));
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  const port = (taken.address() as { port: number }).port;
  try {
    const config = join(dir, 'coffer.hcl');
    await writeFile(
      config,
      `storage "sqlite" {\n  path = "${join(dir, 'coffer.db')}"\n}\n` +
        `listener "tcp" {\n  address = "127.0.0.1:0"\n  tls_disable = true\n}\n` +
        `listener "tcp" {\n  address = "127.0.0.1:${port}"\n  tls_disable = true\n}\n`,
    );
    const run = spawnSync(process.execPath, ['bin/coffer.js', 'server', `-config=${config}`], {
      encoding: 'utf8',
      timeout: 15_000,
    });
    assert.equal(run.signal, null, 'the process ended by itself (it kept running before)');
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stderr, /Error starting server: .*EADDRINUSE/);
  } finally {
    taken.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('a log level Vault does not know stops the server with a clear error', () => {
  const run = spawnSync(
    process.execPath,
    ['bin/coffer.js', 'server', '-dev', '-dev-listen-address=127.0.0.1:0', '-log-level=bogus'],
    {
      encoding: 'utf8',
      timeout: 15_000,
    },
  );
  assert.equal(run.status, 1, run.stderr);
  assert.match(run.stderr, /unknown log level: bogus/);
});
