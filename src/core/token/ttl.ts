/** Token TTL rules: period, explicit max, mount max, and the warnings Vault gives when it clamps. */

export interface TtlInput {
  requestedTtl: number;
  explicitMaxTtl: number;
  period: number;
  defaultTtl: number;
  maxTtl: number;
  /** Root-policy tokens created without any TTL never expire. */
  neverExpires: boolean;
}

export function computeTtl(input: TtlInput): { ttl: number; warnings: string[] } {
  const warnings: string[] = [];
  if (input.neverExpires) return { ttl: 0, warnings };
  if (input.period > 0) {
    const ttl = input.explicitMaxTtl > 0 ? Math.min(input.period, input.explicitMaxTtl) : input.period;
    return { ttl, warnings };
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
  return { ttl, warnings };
}
