import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Barrier } from '../barrier/barrier.js';
import { InmemBackend } from '../storage/inmem.js';
import { SqliteBackend } from '../storage/sqlite.js';
import { StorageView } from './storage-view.js';

const dir = mkdtempSync(join(tmpdir(), 'coffer-view-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function fill(view: StorageView): Promise<void> {
  // Leaves of `due/a/`, a sub-folder that a scan of `due/a/` must not descend into, and a sibling.
  for (const name of ['k3', 'k1', 'k2', 'k10', 'é', 'k0']) await view.putJson(`due/a/${name}`, { name });
  await view.putJson('due/a/sub/deep', { name: 'deep' });
  await view.putJson('due/ab', { name: 'sibling' });
}

async function scanAll(view: StorageView, limit: number): Promise<string[]> {
  const seen: string[] = [];
  let after: string | undefined;
  do {
    const page = await view.scanNames('due/a/', after, limit);
    assert.ok(page.names.length <= limit);
    seen.push(...page.names);
    after = page.next;
  } while (after !== undefined);
  return seen;
}

test('scanNames pages through a folder’s leaf names in code-point order, the same over an index scan and a list', async () => {
  const expected = ['k0', 'k1', 'k10', 'k2', 'k3', 'é'];
  const sqlite = new SqliteBackend(join(dir, 'scan.db'));
  const barrier = new Barrier(sqlite);
  await barrier.initialize(randomBytes(32));
  const scanned = new StorageView(barrier, 'logical/');
  await fill(scanned);
  const listed = new StorageView(new InmemBackend(), 'logical/');
  await fill(listed);
  for (const limit of [1, 2, 4, 100]) {
    assert.deepEqual(
      await scanAll(scanned, limit),
      expected,
      `sqlite through the barrier, pages of ${limit}`,
    );
    assert.deepEqual(await scanAll(listed, limit), expected, `inmem, pages of ${limit}`);
  }
  // The same names the physical backend holds: the barrier decrypts nothing to list them.
  assert.deepEqual((await sqlite.scanNames('logical/due/a/', undefined, 10)).names, expected);
  barrier.seal();
  await assert.rejects(scanned.scanNames('due/a/', undefined, 10), /sealed/);
  await sqlite.close();
});

test('isEmpty answers the same through a one-seek probe (sqlite) and a list (inmem)', async () => {
  const sqlite = new SqliteBackend(join(dir, 'empty.db'));
  const barrier = new Barrier(sqlite);
  await barrier.initialize(randomBytes(32));
  for (const view of [
    new StorageView(barrier, 'logical/'),
    new StorageView(new InmemBackend(), 'logical/'),
  ]) {
    assert.equal(await view.isEmpty('a/'), true);
    await view.putJson('a/b/deep', {});
    await view.putJson('ab', {}); // shares the prefix "a" but is not under "a/"
    assert.equal(await view.isEmpty('a/'), false, 'a key two levels down counts');
    assert.equal(await view.isEmpty('a/b/'), false);
    assert.equal(await view.isEmpty('a/c/'), true);
    assert.equal(await view.sub('a/b/').isEmpty(), false, 'a sub-view probes its own prefix');
    await view.delete('a/b/deep');
    assert.equal(await view.isEmpty('a/'), true);
    await view.sub('a/').deleteAll();
    assert.equal(await view.isEmpty(''), false, 'ab is still there');
  }
  barrier.seal();
  await sqlite.close();
});
