/** When a static role's password rotates next: a fixed `rotation_period`, or a cron `rotation_schedule` (UTC). */
import { CronExpressionParser } from 'cron-parser';
import { invalid } from '../../core/errors.js';
import type { StaticRole } from './store.js';

/** Vault parses standard five-field cron lines (minute resolution) and `@daily`-style descriptors. */
export function validateSchedule(expression: string): void {
  const fields = expression.trim().split(/\s+/);
  if (!expression.trim().startsWith('@') && fields.length !== 5)
    throw invalid(`could not parse rotation_schedule: expected 5 fields, found ${fields.length}`);
  try {
    CronExpressionParser.parse(expression, { tz: 'UTC' }).next();
  } catch {
    throw invalid('could not parse rotation_schedule');
  }
}

export function nextRotation(
  role: Pick<StaticRole, 'rotationPeriod' | 'rotationSchedule' | 'lastVaultRotation'>,
) {
  if (role.rotationSchedule) {
    const cron = CronExpressionParser.parse(role.rotationSchedule, {
      tz: 'UTC',
      currentDate: new Date(role.lastVaultRotation),
    });
    return cron.next().getTime();
  }
  return role.lastVaultRotation + role.rotationPeriod * 1000;
}

/** `static-creds`' `ttl`: whole seconds until the next rotation, never negative. */
export function secondsUntilRotation(role: StaticRole, now: number): number {
  return Math.max(0, Math.floor((nextRotation(role) - now) / 1000));
}
