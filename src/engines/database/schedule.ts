/** When a static role's password rotates next: a fixed `rotation_period`, or a cron `rotation_schedule` (UTC). */
import { createRequire } from 'node:module';
import type { CronExpressionParser } from 'cron-parser';
import { invalid } from '../../core/errors.js';
import type { StaticRole } from './store.js';

/**
 * Loaded on first use: only static roles with a `rotation_schedule` need a cron parser, and
 * cron-parser with luxon took about 35 ms of every server start-up (measured pinned to one core).
 */
let cronParser: typeof CronExpressionParser | undefined;
function cron(): typeof CronExpressionParser {
  cronParser ??= (createRequire(import.meta.url)('cron-parser') as typeof import('cron-parser'))
    .CronExpressionParser;
  return cronParser;
}

/** Vault parses standard five-field cron lines (minute resolution) and `@daily`-style descriptors. */
export function validateSchedule(expression: string): void {
  const fields = expression.trim().split(/\s+/);
  if (!expression.trim().startsWith('@') && fields.length !== 5)
    throw invalid(`could not parse rotation_schedule: expected 5 fields, found ${fields.length}`);
  try {
    cron().parse(expression, { tz: 'UTC' }).next();
  } catch {
    throw invalid('could not parse rotation_schedule');
  }
}

export function nextRotation(
  role: Pick<StaticRole, 'rotationPeriod' | 'rotationSchedule' | 'lastVaultRotation'>,
) {
  if (role.rotationSchedule) {
    const schedule = cron().parse(role.rotationSchedule, {
      tz: 'UTC',
      currentDate: new Date(role.lastVaultRotation),
    });
    return schedule.next().getTime();
  }
  return role.lastVaultRotation + role.rotationPeriod * 1000;
}

/** `static-creds`' `ttl`: whole seconds until the next rotation, never negative. */
export function secondsUntilRotation(role: StaticRole, now: number): number {
  return Math.max(0, Math.floor((nextRotation(role) - now) / 1000));
}
