/**
 * The order in which bench/cpu.ts loads its servers in one round. Rotated each round, so neither build
 * always runs right after the other's load: with a fixed order, two runs of the same pair of builds
 * with the order swapped disagreed by 2-3 µs per kv2-read (2026-12-02: the later build 2.9 and 0.9 µs
 * cheaper), as much as the changes being compared; rotated, the two orders agreed within 0.3 µs.
 */
export function roundOrder(round: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => (i + round) % count);
}
