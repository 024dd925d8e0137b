/**
 * bench/cpu.ts's `--bin-args`: node flags for each build's server in turn, '|' between builds and
 * spaces between flags (`"|--max-semi-space-size=1"`: none for the first build, one for the second).
 * A build past the last segment gets none.
 */
export function flagsPerBuild(spec: string | undefined, builds: number): string[][] {
  const segments = spec?.split('|') ?? [];
  return Array.from({ length: builds }, (_, i) => segments[i]?.split(' ').filter(Boolean) ?? []);
}
