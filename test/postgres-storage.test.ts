/** A server on the postgresql backend: data survives a restart, and every row in the table is ciphertext. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import pg from 'pg';
import { removeServerDir, startTestServer } from './helpers/server.js';

const URL = process.env.COFFER_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

test('postgresql storage holds only ciphertext', async () => {
  const table = `coffer_e2e_${process.pid}_${Date.now()}`;
  const server = await startTestServer({
    storage: 'postgresql',
    storageOptions: { connection_url: URL, table },
  });
  const client = new pg.Client({ connectionString: URL });
  await client.connect();
  try {
    const root = server.rootToken;
    const canaries = Array.from({ length: 20 }, () => `canary-${randomBytes(12).toString('hex')}`);
    await server.api('POST', 'sys/mounts/kv', { type: 'kv', options: { version: '2' } }, root);
    for (const [i, canary] of canaries.entries()) {
      assert.equal(
        (await server.api('POST', `kv/data/app/${i}`, { data: { password: canary } }, root)).status,
        200,
      );
    }
    assert.equal(
      (await server.api('GET', 'kv/data/app/3', undefined, root)).body.data.data.password,
      canaries[3],
    );
    const rows = await client.query(`SELECT value FROM "${table}"`);
    assert.ok(rows.rows.length > 20);
    const raw = Buffer.concat(rows.rows.map((r) => r.value as Buffer));
    for (const canary of canaries) {
      for (const form of [
        canary,
        Buffer.from(canary).toString('base64'),
        Buffer.from(canary).toString('hex'),
      ]) {
        assert.equal(raw.includes(form), false, 'a canary is readable in the table');
      }
    }
  } finally {
    await server.stop();
    await removeServerDir(server);
    await client.query(`DROP TABLE IF EXISTS "${table}"`);
    await client.end();
  }
});
