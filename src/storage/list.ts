/** The one definition of "direct children of a prefix" every backend's list must agree with. */

export function childrenOf(keys: Iterable<string>, prefix: string): string[] {
  const children = new Set<string>();
  for (const key of keys) {
    if (!key.startsWith(prefix) || key === prefix) continue;
    const rest = key.slice(prefix.length);
    const slash = rest.indexOf('/');
    children.add(slash === -1 ? rest : rest.slice(0, slash + 1));
  }
  return [...children].sort(compareCodePoints);
}

/** Code-point order (JS's default sort is UTF-16 order, which differs above U+FFFF). */
export function compareCodePoints(a: string, b: string): number {
  const bufA = Buffer.from(a, 'utf8');
  const bufB = Buffer.from(b, 'utf8');
  return Buffer.compare(bufA, bufB);
}
