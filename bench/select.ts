/** Which workloads a run measures: `--only`'s names, or every workload that is not opt-in. */

export interface Selectable {
  name: string;
  /** Rows measured with this one, that `--only` may name instead (unseal-100k-leases gives rss-100k). */
  also?: string[];
  /**
   * Not a PERFORMANCE.md row: measured only when named with `--only`, so the default run keeps
   * under issue 9's ten minutes.
   */
  optIn?: boolean;
}

export function selectWorkloads<T extends Selectable>(all: T[], only: string[] | undefined): T[] {
  if (!only) return all.filter((w) => !w.optIn);
  return all.filter((w) => only.includes(w.name) || (w.also ?? []).some((name) => only.includes(name)));
}
