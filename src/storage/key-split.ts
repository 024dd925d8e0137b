/**
 * Keys are stored as (parent folder, name) byte strings, so listing a folder is an index seek, and
 * child folders are found by skipping from one to the next instead of scanning every descendant.
 */

/** Every valid UTF-8 string starting with `prefix` sorts below prefix + 0xFF (0xFF never occurs in UTF-8). */
export function upperBound(prefix: Buffer): Buffer {
  return Buffer.concat([prefix, Buffer.from([0xff])]);
}

export function splitKey(key: string): { parent: Buffer; name: Buffer } {
  const slash = key.lastIndexOf('/');
  return {
    parent: Buffer.from(key.slice(0, slash + 1), 'utf8'),
    name: Buffer.from(key.slice(slash + 1), 'utf8'),
  };
}

/** The direct child folder of `prefix` that contains `parent` (a descendant folder), with its trailing slash. */
export function childFolder(prefix: Buffer, parent: Buffer): Buffer {
  const rest = parent.subarray(prefix.length);
  const slash = rest.indexOf(0x2f);
  return parent.subarray(0, prefix.length + slash + 1);
}
