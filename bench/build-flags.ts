/**
 * bench/cpu.ts's `--bin-args`: node flags for each build's server in turn, '|' between builds and
 * spaces between flags (`"|--max-semi-space-size=1"`: none for the first build, one for the second).
 * A build past the last segment gets none.
 */
export function flagsPerBuild(spec: string | undefined, builds: number): string[][] {
  const segments = spec?.split('|') ?? [];
  return Array.from({ length: builds }, (_, i) => segments[i]?.split(' ').filter(Boolean) ?? []);
}

/**
 * bench/cpu.ts's `--node-bins`: the Node.js executable each build's server runs on, '|' between builds
 * (`"|/opt/node24/bin/node"`: this process's own for the first build, Node 24 for the second). An
 * empty segment, or a build past the last one, gets `undefined`: this process's executable.
 */
export function nodePerBuild(spec: string | undefined, builds: number): (string | undefined)[] {
  const segments = spec?.split('|') ?? [];
  return Array.from({ length: builds }, (_, i) => segments[i]?.trim() || undefined);
}
