/**
 * Passwords for database users, in the shape of Vault's default password policy: 20 characters of
 * letters, digits and `-`, with at least one lowercase letter, one uppercase letter and one digit.
 */
import { randomInt } from 'node:crypto';

const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const DIGITS = '0123456789';
const CHARSET = `${LOWER}${UPPER}${DIGITS}-`;
export const PASSWORD_LENGTH = 20;

function satisfiesRules(password: string): boolean {
  const has = (set: string) => [...password].some((c) => set.includes(c));
  // A leading dash would read as a flag when the password is pasted into a command line.
  return has(LOWER) && has(UPPER) && has(DIGITS) && !password.startsWith('-');
}

/** Uniform characters from a CSPRNG; candidates that miss a rule are redrawn, as Vault's policies do. */
export function generatePassword(): string {
  for (;;) {
    let password = '';
    for (let i = 0; i < PASSWORD_LENGTH; i++) password += CHARSET[randomInt(CHARSET.length)];
    if (satisfiesRules(password)) return password;
  }
}
