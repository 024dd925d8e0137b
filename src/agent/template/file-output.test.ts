/** Rendered files: atomic replacement, the configured mode whatever the umask, backups, no rewrite when unchanged. */
import assert from 'node:assert/strict';
import {
  chmod,
  chown,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { writeOutput } from './file-output.js';

describe('writeOutput', () => {
  let dir: string;
  let umask: number;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coffer-output-'));
    umask = process.umask(0o077);
  });
  after(async () => {
    process.umask(umask);
    await rm(dir, { recursive: true, force: true });
  });

  test('writes with the mode asked for, not the mode less the umask, and leaves no temp file', async () => {
    const destination = join(dir, 'a', 'b', 'out');
    assert.equal(
      await writeOutput({ destination, perms: 0o644, createDestDirs: true, backup: false }, 'x'),
      true,
    );
    assert.equal((await stat(destination)).mode & 0o777, 0o644);
    assert.deepEqual(await readdir(join(dir, 'a', 'b')), ['out']);
  });

  test('perms unset: a new file is 0600, an existing file keeps its mode (as Vault matches it)', async () => {
    const fresh = join(dir, 'fresh');
    await writeOutput({ destination: fresh, createDestDirs: false, backup: false }, 'x');
    assert.equal((await stat(fresh)).mode & 0o777, 0o600);
    const kept = join(dir, 'kept');
    await writeFile(kept, 'old');
    await chmod(kept, 0o640);
    await writeOutput({ destination: kept, createDestDirs: false, backup: false }, 'new');
    assert.equal((await stat(kept)).mode & 0o777, 0o640);
    assert.equal(await readFile(kept, 'utf8'), 'new');
  });

  test('an unchanged render is not written again', async () => {
    const destination = join(dir, 'same');
    const file = { destination, perms: 0o600, createDestDirs: false, backup: false };
    assert.equal(await writeOutput(file, 'v1'), true);
    const before = (await stat(destination)).ino;
    assert.equal(await writeOutput(file, 'v1'), false);
    assert.equal((await stat(destination)).ino, before);
    assert.equal(await writeOutput(file, 'v2'), true);
    assert.notEqual((await stat(destination)).ino, before, 'replaced by rename, never rewritten in place');
  });

  test('backup keeps the previous contents in <destination>.bak with the same mode', async () => {
    const destination = join(dir, 'backed');
    await writeFile(destination, 'old');
    await writeOutput({ destination, perms: 0o600, createDestDirs: false, backup: true }, 'new');
    assert.equal(await readFile(`${destination}.bak`, 'utf8'), 'old');
    assert.equal((await stat(`${destination}.bak`)).mode & 0o777, 0o600);
    assert.equal(await readFile(destination, 'utf8'), 'new');
  });

  test('without create_dest_dirs a missing directory is an error', async () => {
    const file = {
      destination: join(dir, 'missing', 'x'),
      perms: 0o600,
      createDestDirs: false,
      backup: false,
    };
    await assert.rejects(writeOutput(file, 'x'), { code: 'ENOENT' });
  });

  test('a symlink planted at <destination>.bak is replaced, never written through or chmodded', async () => {
    const sub = join(dir, 'bak-link');
    await mkdir(sub);
    const victim = join(sub, 'victim');
    await writeFile(victim, 'victim');
    await chmod(victim, 0o644);
    const destination = join(sub, 'out');
    await writeFile(destination, 'old secret');
    await symlink(victim, `${destination}.bak`);
    await writeOutput({ destination, perms: 0o600, createDestDirs: false, backup: true }, 'new');
    assert.equal(await readFile(victim, 'utf8'), 'victim');
    assert.equal((await stat(victim)).mode & 0o777, 0o644);
    assert.ok((await lstat(`${destination}.bak`)).isFile());
    assert.equal(await readFile(`${destination}.bak`, 'utf8'), 'old secret');
    assert.deepEqual((await readdir(sub)).sort(), ['out', 'out.bak', 'victim']);
  });

  test('a symlink at the destination is replaced; its target is not written, copied or used for the mode', async () => {
    const sub = join(dir, 'dest-link');
    await mkdir(sub);
    const victim = join(sub, 'victim');
    await writeFile(victim, 'same');
    await chmod(victim, 0o666);
    const destination = join(sub, 'out');
    await symlink(victim, destination);
    // Even the same contents: the link is still replaced, so the secret is not left "in" the other file.
    assert.equal(await writeOutput({ destination, createDestDirs: false, backup: true }, 'same'), true);
    assert.ok((await lstat(destination)).isFile());
    assert.equal((await stat(destination)).mode & 0o777, 0o600, 'not the mode of the link target');
    assert.equal((await stat(victim)).mode & 0o777, 0o666);
    assert.deepEqual((await readdir(sub)).sort(), ['out', 'victim'], 'no backup of the link target');
  });

  test('a failure after the temp file was written leaves the old file and no temp files', async () => {
    const sub = join(dir, 'fails');
    await mkdir(sub);
    const destination = join(sub, 'out');
    await writeFile(destination, 'old');
    // A non-empty directory at <destination>.bak: the backup rename fails.
    await mkdir(join(sub, 'out.bak', 'x'), { recursive: true });
    await assert.rejects(
      writeOutput({ destination, perms: 0o600, createDestDirs: false, backup: true }, 'new'),
    );
    assert.equal(await readFile(destination, 'utf8'), 'old');
    assert.deepEqual((await readdir(sub)).sort(), ['out', 'out.bak']);
  });

  test('perms unset: a file another user planted at the destination does not choose the mode', {
    skip: process.getuid?.() !== 0 && 'needs root to give a file to another user',
  }, async () => {
    const destination = join(dir, 'planted');
    await writeFile(destination, 'planted');
    await chmod(destination, 0o666);
    await chown(destination, 65534, 65534);
    await writeOutput({ destination, createDestDirs: false, backup: false }, 'secret');
    assert.equal((await stat(destination)).mode & 0o777, 0o600);
  });
});
