/** The file device: appends whole lines, sets a safe mode, refuses unsafe targets, and follows log rotation. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, open, readFile, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CofferError } from '../../core/errors.js';
import { silentLogger } from '../../framework/log.js';
import { deviceConformance } from './conformance.js';
import { FileDevice } from './file.js';
import { isOnLocalFilesystem } from './local-filesystem.js';

let dir: string;
let counter = 0;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'coffer-audit-file-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});
const freshPath = () => join(dir, `audit-${++counter}.log`);

async function readLines(path: string): Promise<string[]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text === '' ? [] : text.replace(/\n$/, '').split('\n');
}

deviceConformance('file', async (options = {}) => {
  const path = freshPath();
  const device = await FileDevice.create({ file_path: path, ...options });
  return { device, lines: () => readLines(path), cleanup: () => device.close() };
});

test('a new audit file is created with mode 0600 and the line is in it when write resolves', async () => {
  const path = join(dir, 'nested', 'dir', 'audit.log');
  const device = await FileDevice.create({ file_path: path });
  await device.write('{"a":1}');
  assert.equal((await stat(path)).mode & 0o777, 0o600);
  assert.equal(await readFile(path, 'utf8'), '{"a":1}\n');
  await device.close();
});

test('`path` is an alias of file_path, and writes append to what is there', async () => {
  const path = freshPath();
  await writeFile(path, 'old\n');
  const device = await FileDevice.create({ path });
  await device.write('new');
  assert.deepEqual(await readLines(path), ['old', 'new']);
  await device.close();
});

test('mode: execute and special bits are stripped; 0000 leaves an existing mode alone', async () => {
  const exec = freshPath();
  const a = await FileDevice.create({ file_path: exec, mode: '4755' });
  assert.equal((await stat(exec)).mode & 0o7777, 0o644);
  await a.close();

  const kept = freshPath();
  await writeFile(kept, '');
  await chmod(kept, 0o640);
  const b = await FileDevice.create({ file_path: kept, mode: '0000' });
  await b.write('x');
  assert.equal((await stat(kept)).mode & 0o777, 0o640);
  await b.close();
});

const refusals: { name: string; options: Record<string, string>; message: RegExp }[] = [
  { name: 'no file_path', options: {}, message: /^file_path is required$/ },
  { name: 'a mode that is not octal', options: { file_path: 'x', mode: '0x1ff' }, message: /invalid syntax/ },
  {
    name: 'a mode beyond permission bits',
    options: { file_path: 'x', mode: '20000' },
    message: /regular file/,
  },
  {
    name: 'mode 0000 on a missing file',
    options: { file_path: '/nonexistent/a.log', mode: '0000' },
    message: /stat/,
  },
];
for (const r of refusals) {
  test(`refused with a 400: ${r.name}`, async () => {
    await assert.rejects(FileDevice.create(r.options), (err: unknown) => {
      assert.ok(err instanceof CofferError);
      assert.equal(err.status, 400);
      assert.match(err.message, r.message);
      return true;
    });
  });
}

test('a directory or a FIFO as file_path is refused at once (a FIFO would block the writer)', async () => {
  await assert.rejects(FileDevice.create({ file_path: dir }), /sanity check failed/);
  const fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  await assert.rejects(FileDevice.create({ file_path: fifo }), /sanity check failed/);
});

test('a file_path inside a protected directory is refused', async () => {
  const data = join(dir, 'data');
  await assert.rejects(
    FileDevice.create({ file_path: join(data, 'plugins', 'evil') }, { denyDirs: [data] }),
    /protected directory/,
  );
});

test('discard accepts writes and keeps nothing; stdout is accepted as a keyword', async () => {
  const device = await FileDevice.create({ file_path: 'DISCARD' });
  await device.write('x');
  await device.close();
  const stdout = await FileDevice.create({ file_path: 'stdout' });
  assert.equal(stdout.type, 'file');
  await stdout.close();
});

test('rotation: after rename and reopen, new lines go to a new file at the configured path', async () => {
  const path = freshPath();
  const device = await FileDevice.create({ file_path: path });
  await device.write('before');
  await rename(path, `${path}.1`);
  await device.write('still-old-fd');
  await device.reopen();
  await device.write('after');
  assert.deepEqual(await readLines(`${path}.1`), ['before', 'still-old-fd']);
  assert.deepEqual(await readLines(path), ['after']);
  assert.equal((await stat(path)).mode & 0o777, 0o600);
  await device.close();
});

test('a log swapped for a directory fails the write, and recovers once the path is a file again', async () => {
  const path = freshPath();
  const device = await FileDevice.create({ file_path: path });
  await rename(path, `${path}.1`);
  await mkdir(path);
  await assert.rejects(device.reopen());
  await assert.rejects(device.write('lost'));
  await rmdir(path);
  await device.write('back');
  assert.deepEqual(await readLines(path), ['back']);
  await device.close();
});

type PoolWrite = (this: unknown, ...args: unknown[]) => Promise<unknown>;

/** Replaces every FileHandle's write (the thread-pool path) with `wrap(real)`, until `restore`. */
async function replacePoolWrites(path: string, wrap: (real: PoolWrite) => PoolWrite) {
  const probe = await open(path, 'r');
  const handle = Object.getPrototypeOf(probe) as { write: PoolWrite };
  await probe.close();
  const realWrite = handle.write;
  handle.write = wrap(realWrite);
  return { restore: () => (handle.write = realWrite) };
}

/** Every thread-pool write hangs, as a stuck disk looks from Node. */
const stallPoolWrites = (path: string) => replacePoolWrites(path, () => () => new Promise(() => undefined));

function capturingLog() {
  const warnings: { message: string; fields?: Record<string, unknown> }[] = [];
  const log = {
    ...silentLogger,
    warn: (message: string, fields?: Record<string, unknown>) => warnings.push({ message, fields }),
  };
  return { log, warnings };
}

test('on a local disk a batch is written directly: a stalled thread pool does not hold it', {
  timeout: 5000,
}, async () => {
  const path = freshPath();
  assert.ok(await isOnLocalFilesystem(path.replace(/[^/]+$/, '')), 'the test directory is on a local disk');
  const device = await FileDevice.create({ file_path: path }, { timeoutMs: 2000 });
  const pool = await stallPoolWrites(path);
  try {
    await Promise.all([device.write('first'), device.write('second')]);
  } finally {
    pool.restore();
  }
  assert.deepEqual(await readLines(path), ['first', 'second']);
  await device.close();
});

test('a slow direct write sends writes to the thread pool for a while, then they are direct again', async () => {
  const path = freshPath();
  const { log, warnings } = capturingLog();
  // Every direct write counts as slow; the pool is used for 300 ms after each (wide enough that a
  // busy test machine does not end the window between the first two writes).
  const device = await FileDevice.create({ file_path: path }, { slowWriteMs: 0, poolAfterSlowMs: 300, log });
  let poolWrites = 0;
  const pool = await replacePoolWrites(
    path,
    (real) =>
      function (this: unknown, ...args: unknown[]) {
        poolWrites++;
        return real.apply(this, args);
      },
  );
  try {
    await device.write('direct, and slow');
    await device.write('through the pool');
    assert.equal(poolWrites, 1);
    await new Promise((resolve) => setTimeout(resolve, 400));
    await device.write('direct again');
    assert.equal(poolWrites, 1);
  } finally {
    pool.restore();
  }
  assert.equal(warnings.length, 2);
  assert.deepEqual(await readLines(path), ['direct, and slow', 'through the pool', 'direct again']);
  await device.close();
});

// The time limit makes a missing deadline a failure rather than a hang.
test('after a slow direct write, a write the disk never answers fails after the timeout, and so does every line queued behind it', {
  timeout: 5000,
}, async () => {
  const path = freshPath();
  // slowWriteMs 0: the first direct write counts as slow, and the device turns to the thread pool.
  const { log, warnings } = capturingLog();
  const device = await FileDevice.create({ file_path: path }, { timeoutMs: 80, slowWriteMs: 0, log });
  await device.write('answered');
  assert.equal(warnings.length, 1);
  assert.match(warnings[0].message, /writing through the thread pool for a minute/);
  assert.equal(warnings[0].fields?.path, path);
  // A stuck disk, as seen from Node: the write is handed to the thread pool and never comes back.
  const pool = await stallPoolWrites(path);
  // The timer is unref'd (a server's listener keeps the process alive); so does this.
  const keepAlive = setTimeout(() => undefined, 2000);
  try {
    const started = performance.now();
    const stuck = device.write('stuck');
    const queued = device.write('queued');
    await assert.rejects(stuck, /did not answer within 80ms/);
    await assert.rejects(queued, /did not answer within 80ms/);
    const waited = performance.now() - started;
    assert.ok(waited >= 79 && waited < 1000, `failed after ${waited.toFixed(0)} ms`);
  } finally {
    pool.restore();
    clearTimeout(keepAlive);
  }
  assert.deepEqual(await readLines(path), ['answered']);
});
