/** A sqlite-backed server killed with SIGKILL loses nothing it acknowledged, and its file holds only ciphertext. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { removeServerDir, restartOnSameStorage, startTestServer } from './helpers/server.js';

test('kill -9 and restart: every acknowledged write survives, and disk holds no plaintext', async () => {
  const first = await startTestServer({ storage: 'sqlite' });
  const token = first.rootToken;
  const canaries: string[] = [];
  try {
    assert.equal(
      (await first.api('POST', 'sys/mounts/kv', { type: 'kv', options: { version: '2' } }, token)).status,
      204,
    );
    const writes = [];
    for (let i = 0; i < 40; i++) {
      const canary = `canary-${randomBytes(12).toString('hex')}`;
      canaries.push(canary);
      writes.push(first.api('POST', `kv/data/app/${i}`, { data: { password: canary } }, token));
    }
    for (const res of await Promise.all(writes)) assert.equal(res.status, 200);
    await first.api(
      'PUT',
      'sys/policy/durable',
      { policy: `path "kv/data/${canaries[0]}" {\n  capabilities = ["read"]\n}\n` },
      token,
    );
    await first.kill9();

    const files = await readdir(first.dir);
    const raw = Buffer.concat(
      await Promise.all(
        files.filter((f) => f.startsWith('coffer.db')).map((f) => readFile(join(first.dir, f))),
      ),
    );
    for (const canary of canaries.slice(1)) {
      for (const encoded of [
        canary,
        Buffer.from(canary).toString('base64'),
        Buffer.from(canary).toString('hex'),
      ]) {
        assert.equal(
          raw.includes(encoded),
          false,
          `found a canary in the raw store (${encoded.slice(0, 12)}…)`,
        );
      }
    }

    const second = await restartOnSameStorage(first);
    try {
      assert.equal((await second.api('GET', 'sys/seal-status')).body.sealed, true);
      await second.unseal();
      for (let i = 0; i < canaries.length; i++) {
        const res = await second.api('GET', `kv/data/app/${i}`, undefined, token);
        assert.equal(res.status, 200);
        assert.equal(res.body.data.data.password, canaries[i]);
      }
      assert.equal((await second.api('GET', 'sys/policy/durable', undefined, token)).status, 200);
    } finally {
      await second.stop();
    }
  } finally {
    await first.stop();
    await removeServerDir(first);
  }
});
