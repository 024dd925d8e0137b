/** Which filesystems the file audit device trusts to answer a write(2) at once. */
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { test } from 'node:test';
import { isLocalFilesystemType, isOnLocalFilesystem } from './local-filesystem.js';

test('disk and memory filesystems are local; network and FUSE ones are not', () => {
  assert.equal(isLocalFilesystemType(0xef53), true); // ext4
  assert.equal(isLocalFilesystemType(0x01021994), true); // tmpfs
  // btrfs's magic is above 2^31: a C long read as a signed 32-bit number must still match.
  assert.equal(isLocalFilesystemType(0x9123683e | 0), true);
  assert.equal(isLocalFilesystemType(0x6969), false); // nfs
  assert.equal(isLocalFilesystemType(0xff534d42), false); // cifs
  assert.equal(isLocalFilesystemType(0x65735546), false); // fuse
});

test('the temporary directory is local on Linux; a path that cannot be read is not', async () => {
  assert.equal(await isOnLocalFilesystem(tmpdir()), process.platform === 'linux');
  assert.equal(await isOnLocalFilesystem('/no/such/directory/here'), false);
});
