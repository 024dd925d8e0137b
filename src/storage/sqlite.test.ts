import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { storageConformance } from './conformance.js';
import { CHECKPOINT_EVERY_OPS, SqliteBackend } from './sqlite.js';

const dir = mkdtempSync(join(tmpdir(), 'coffer-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));

storageConformance('sqlite', async () => new SqliteBackend(join(dir, 'conformance.db')));

// Files made by earlier versions keep their WITHOUT ROWID table: every statement must work on it too.
storageConformance('sqlite, a file with the earlier WITHOUT ROWID table', async () => {
  const path = join(dir, 'legacy.db');
  const legacy = new Database(path);
  legacy.exec(`CREATE TABLE IF NOT EXISTS entries (
    parent BLOB NOT NULL, name BLOB NOT NULL, value BLOB NOT NULL, PRIMARY KEY (parent, name)) WITHOUT ROWID`);
  legacy.close();
  return new SqliteBackend(path);
});

test('the database file is readable by its owner only', async () => {
  const path = join(dir, 'mode.db');
  const store = new SqliteBackend(path);
  await store.put('k', new Uint8Array([1]));
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.equal(statSync(`${path}-wal`).mode & 0o777, 0o600);
  await store.close();
});

test('every write acknowledged before kill -9 is there after reopening, across checkpoints', async () => {
  const path = join(dir, 'crash.db');
  const script = join(dir, 'writer.mts');
  const module = new URL('./sqlite.ts', import.meta.url).pathname;
  writeFileSync(
    script,
    `import { SqliteBackend } from ${JSON.stringify(module)};
const store = new SqliteBackend(${JSON.stringify(path)});
let i = 0;
const writeOne = async () => {
  const n = i++;
  await store.put('crash/' + n, new TextEncoder().encode('value-' + n));
  process.stdout.write('ack ' + n + '\\n');
};
for (;;) await Promise.all(Array.from({ length: 8 }, writeOne));
`,
  );
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const killAfter = 3 * CHECKPOINT_EVERY_OPS + 300;
  const acked: number[] = [];
  let buffer = '';
  await new Promise<void>((resolve) => {
    child.stdout!.on('data', (chunk) => {
      buffer += chunk;
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const line of lines) if (line.startsWith('ack ')) acked.push(Number(line.slice(4)));
      // Killed a little after the third checkpoint, with its own commits in flight.
      if (acked.length >= killAfter && !child.killed) {
        child.kill('SIGKILL');
      }
    });
    child.once('exit', () => resolve());
  });
  assert.ok(acked.length >= killAfter);
  const store = new SqliteBackend(path);
  for (const n of acked) {
    assert.equal(new TextDecoder().decode((await store.get(`crash/${n}`))!), `value-${n}`);
  }
  await store.close();
});

test('the WAL is checkpointed and reused: it does not grow with the number of writes', async () => {
  const path = join(dir, 'wal-bound.db');
  const store = new SqliteBackend(path);
  const value = new Uint8Array(200).fill(7);
  let written = 0;
  const writeOps = async (count: number) => {
    for (const end = written + count; written < end; written += 50)
      await Promise.all(Array.from({ length: 50 }, (_, i) => store.put(`wal/${written + i}`, value)));
  };
  await writeOps(CHECKPOINT_EVERY_OPS + 500); // past the first checkpoint: the WAL's largest size
  const afterFirst = statSync(`${path}-wal`).size;
  await writeOps(3 * CHECKPOINT_EVERY_OPS);
  // Without checkpoints the WAL would hold four times as many frames.
  assert.ok(statSync(`${path}-wal`).size <= afterFirst * 1.5, 'the WAL was reused after checkpoints');
  assert.deepEqual(await store.get(`wal/${written - 1}`), value);
  await store.close();
});

test('a second server on the same file is refused at open, and the file is free once the first closes', async () => {
  const path = join(dir, 'owned.db');
  const first = new SqliteBackend(path);
  await first.put('k', new Uint8Array([1]));
  // Another process, as a second server would be; SQLite's lock is per process.
  const module = new URL('./sqlite.ts', import.meta.url).pathname;
  const open = `import { SqliteBackend } from ${JSON.stringify(module)};
try { const s = new SqliteBackend(${JSON.stringify(path)}); console.log('opened', (await s.get('k'))?.[0]); await s.close(); }
catch (e) { console.log('refused:', e.message); }`;
  const tryOpen = () =>
    new Promise<string>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', open], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout!.on('data', (chunk) => {
        out += chunk;
      });
      child.once('exit', () => resolve(out.trim()));
    });
  assert.equal(
    await tryOpen(),
    `refused: storage file ${path} is in use by another process (is another server running?)`,
  );
  await first.close();
  assert.equal(await tryOpen(), 'opened 1');
});
