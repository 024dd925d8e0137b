/** Token TTL rules: period, explicit max, mount max, and the warnings Vault gives when it clamps. */
import { invalid } from '../errors.js';

export interface TtlInput {
  requestedTtl: number;
  explicitMaxTtl: number;
  period: number;
  defaultTtl: number;
  maxTtl: number;
  /** Root-policy tokens created without any TTL never expire. */
  neverExpires: boolean;
}

/** The token's TTL, and its period as capped (renewals extend by it), with Vault's warnings. */
export function computeTtl(input: TtlInput): { ttl: number; period: number; warnings: string[] } {
  const warnings: string[] = [];
  // Callers refuse negative durations with the field's name; this is the backstop, since a negative
  // TTL read as "none given" would make a token that never expires.
  if (input.requestedTtl < 0 || input.explicitMaxTtl < 0 || input.period < 0)
    throw invalid('ttl must be positive');
  if (input.neverExpires) return { ttl: 0, period: 0, warnings };
  if (input.period > 0) {
    let period = input.period;
    // Vault caps a period at the mount's (or system's) max TTL, with this warning.
    if (input.maxTtl > 0 && period > input.maxTtl) {
      warnings.push(
        `period of "${period}s" exceeded the effective max_ttl of "${input.maxTtl}s"; period value is capped accordingly`,
      );
      period = input.maxTtl;
    }
    const ttl = input.explicitMaxTtl > 0 ? Math.min(period, input.explicitMaxTtl) : period;
    return { ttl, period, warnings };
  }
  let ttl = input.requestedTtl || input.defaultTtl;
  let max = input.maxTtl;
  if (input.explicitMaxTtl > 0) {
    if (input.explicitMaxTtl > max) {
      warnings.push(
        `Explicit max TTL of ${input.explicitMaxTtl}s is greater than system/mount allowed value; value is being capped to ${max}s`,
      );
    }
    max = Math.min(max, input.explicitMaxTtl);
  }
  if (max > 0 && ttl > max) {
    warnings.push(
      `TTL of "${ttl}s" exceeded the effective max_ttl of "${max}s"; TTL value is capped accordingly`,
    );
    ttl = max;
  }
  return { ttl, period: 0, warnings };
}

/** Throws `message(field)` as a 400 for the first negative duration (undefined ones are not given). */
export function refuseNegative(
  durations: Record<string, number | undefined>,
  message: (field: string) => string,
): void {
  for (const [field, seconds] of Object.entries(durations))
    if (seconds !== undefined && seconds < 0) throw invalid(message(field));
}
