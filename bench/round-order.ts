/**
 * The order in which bench/cpu.ts loads its servers in one round. Rotated each round: with a fixed
 * order, the server loaded first read ~1 µs (4%) more CPU per kv2-read than the same build loaded
 * second (2026-12-02, two runs with the order swapped), a bias as large as the changes it compares.
 */
export function roundOrder(round: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => (i + round) % count);
}
