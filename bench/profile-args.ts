/**
 * bench/profile.ts's arguments: profile files first (`--profile DIR` leaves one per thread, the HCL
 * parser's worker too, so a glob names several), then the row count and the last busy seconds.
 * Undefined when they do not read so: a file name where a number goes printed empty tables.
 */
export function profileArgs(
  args: readonly string[],
): { files: string[]; top: number; last?: number } | undefined {
  const files = args.filter((arg) => arg.endsWith('.cpuprofile'));
  const [top, last] = args.filter((arg) => !arg.endsWith('.cpuprofile')).map(Number);
  if (files.length === 0 || Number.isNaN(top) || Number.isNaN(last)) return undefined;
  return { files, top: top ?? 40, last };
}
