/**
 * Whether a path lives on a local disk filesystem, from statfs(2)'s `f_type`. A write(2) there lands
 * in the page cache and returns in microseconds; on a network or FUSE filesystem it can wait on a
 * server without limit. The file audit device writes the first kind directly and hands the second to
 * libuv's thread pool, where a deadline bounds it.
 */
import { statfs } from 'node:fs/promises';

/** Magic numbers from Linux's include/uapi/linux/magic.h (and ZFS's own). */
const LOCAL_FILESYSTEM_TYPES = new Set([
  0xef53, // ext2, ext3, ext4
  0x58465342, // xfs
  0x9123683e, // btrfs
  0x01021994, // tmpfs and devtmpfs (/dev/null)
  0x794c7630, // overlayfs, a container's root
  0xf2f52010, // f2fs
  0x2fc12fc1, // zfs
]);

export function isLocalFilesystemType(type: number): boolean {
  // statfs reports a C long; a magic number above 2^31 must not compare as negative.
  return LOCAL_FILESYSTEM_TYPES.has(type >>> 0);
}

/** False when unsure: off Linux, the magic numbers mean something else; a failed statfs says nothing. */
export async function isOnLocalFilesystem(path: string): Promise<boolean> {
  if (process.platform !== 'linux') return false;
  try {
    return isLocalFilesystemType((await statfs(path)).type);
  } catch {
    return false;
  }
}
