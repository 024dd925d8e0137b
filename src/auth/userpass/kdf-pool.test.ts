import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { scryptSync } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { setTimeout } from 'node:timers/promises';
import { KdfPool } from './kdf-pool.js';
import { KDF_NICE } from './kdf-worker.js';

const small = { N: 1024, r: 8, p: 1 };

test('derives the key scrypt defines (RFC 7914 test vector)', async () => {
  const pool = new KdfPool(1);
  try {
    const key = await pool.scrypt('password', Buffer.from('NaCl'), 64, { N: 1024, r: 8, p: 16 });
    assert.equal(
      key.toString('hex'),
      'fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640',
    );
  } finally {
    await pool.close();
  }
});

test('hashes asked for at once beyond its size queue and each gets its own key', async () => {
  const pool = new KdfPool(2);
  try {
    const passwords = ['a', 'b', 'c', 'd', 'e'];
    const keys = await Promise.all(passwords.map((p) => pool.scrypt(p, Buffer.from('salt'), 32, small)));
    keys.forEach((key, i) => {
      assert.deepEqual(key, scryptSync(passwords[i], Buffer.from('salt'), 32, small));
    });
  } finally {
    await pool.close();
  }
});

/** The nice value of each thread of this process (Linux: field 19 of /proc/self/task/<tid>/stat). */
function threadNices(): number[] {
  return readdirSync('/proc/self/task').map((tid) => {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  });
}

test('the hashing thread runs at a lower priority than the rest of the process', {
  skip: process.platform !== 'linux',
}, async () => {
  // Threads of the pools closed above may take a moment to leave /proc.
  for (let i = 0; i < 100 && threadNices().includes(KDF_NICE); i++) await setTimeout(20);
  assert.ok(!threadNices().includes(KDF_NICE), 'no thread at the KDF nice value before the pool starts');
  const pool = new KdfPool(1);
  try {
    await pool.scrypt('pw', Buffer.from('salt'), 32, small);
    const nices = threadNices();
    assert.equal(nices.filter((nice) => nice === KDF_NICE).length, 1, 'exactly one thread lowered');
    assert.ok(nices.includes(0), 'the event loop keeps its priority');
  } finally {
    await pool.close();
  }
});

test('bad parameters fail that hash with a clear error; the pool goes on', async () => {
  const pool = new KdfPool(1);
  try {
    await assert.rejects(
      pool.scrypt('pw', Buffer.from('salt'), 32, { N: 1000, r: 8, p: 1 }), // N must be a power of two
      (error: Error & { code?: string }) =>
        error.code === 'internal' &&
        /password hashing failed/.test(error.message) &&
        !/pw/.test(error.message),
    );
    assert.equal((await pool.scrypt('pw', Buffer.from('salt'), 8, small)).length, 8);
  } finally {
    await pool.close();
  }
});

test('closing fails the hashes in flight and queued; a later hash starts a new thread', async () => {
  const pool = new KdfPool(1);
  const running = pool.scrypt('pw', Buffer.from('salt'), 32, { N: 1 << 15, r: 8, p: 1 });
  const queued = pool.scrypt('pw', Buffer.from('salt'), 32, small);
  const outcomes = [running, queued].map((hash) => assert.rejects(hash, /the password hasher stopped/));
  await pool.close();
  await Promise.all(outcomes);
  try {
    assert.equal((await pool.scrypt('pw', Buffer.from('salt'), 8, small)).length, 8);
  } finally {
    await pool.close();
  }
});

test('an idle pool does not keep the process alive, and a hash in flight does', () => {
  const script = `
    import { KdfPool } from ${JSON.stringify(new URL('./kdf-pool.ts', import.meta.url).href)};
    const pool = new KdfPool(1);
    const key = await pool.scrypt('pw', Buffer.from('salt'), 8, { N: 1024, r: 8, p: 1 });
    process.stdout.write(key.toString('hex'));
  `;
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  assert.equal(child.status, 0, child.stderr);
  assert.equal(
    child.stdout,
    scryptSync('pw', Buffer.from('salt'), 8, { N: 1024, r: 8, p: 1 }).toString('hex'),
  );
});
