/** Userpass users in the mount's storage: `user/<normalised name>` holds the password hash and token settings. */

import type { MaybePromise } from '../../framework/maybe-promise.js';
import type { StorageView } from '../../framework/storage-view.js';
import { defaultTokenParams, type TokenParams } from '../token-fields.js';
import type { PasswordHash } from './password-hash.js';

export interface UserEntry {
  passwordHash: PasswordHash;
  token: TokenParams;
}

/** Longest name a user can be created with; longer login names are simply unknown users. */
export const MAX_USERNAME = 512;

/**
 * One spelling per user: `Alice`, ` alice ` and `ALICE` are the same user and share one lockout
 * counter (CVE-2025-6004 bypassed lockout with case and space variants).
 */
export function normaliseUsername(raw: string): string {
  return raw.trim().toLowerCase();
}

export function isStorableUsername(name: string): boolean {
  return name !== '' && name.length <= MAX_USERNAME && !name.includes('/');
}

export function loadUser(storage: StorageView, name: string): MaybePromise<UserEntry | undefined> {
  return storage.getJson<UserEntry>(`user/${name}`);
}

export function saveUser(storage: StorageView, name: string, user: UserEntry): Promise<void> {
  return storage.putJson(`user/${name}`, user);
}

export function newUser(passwordHash: PasswordHash): UserEntry {
  return { passwordHash, token: defaultTokenParams() };
}
