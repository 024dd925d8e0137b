/** What the database engine keeps in its mount's storage, under Vault's keys (`config/`, `role/`, `static-role/`). */
import { globListMatches } from '../../framework/glob.js';
import type { StorageView } from '../../framework/storage-view.js';
import type { ConnectionSettings } from './plugin.js';

export interface ConnectionConfig {
  pluginName: string;
  /** Plugin-specific settings, including the root `password` (never returned on read). */
  connectionDetails: ConnectionSettings;
  allowedRoles: string[];
  rootRotationStatements: string[];
  passwordPolicy: string;
  verifyConnection: boolean;
  /** A root password being rotated in: stored before the database changes, promoted once it works. */
  pendingRootPassword?: string;
}

export interface DynamicRole {
  dbName: string;
  creationStatements: string[];
  revocationStatements: string[];
  rollbackStatements: string[];
  renewStatements: string[];
  defaultTtl: number;
  maxTtl: number;
  credentialType: 'password';
}

export interface StaticRole {
  dbName: string;
  username: string;
  /** Seconds; 0 when a cron `rotationSchedule` drives rotation instead. */
  rotationPeriod: number;
  rotationSchedule: string;
  rotationStatements: string[];
  credentialType: 'password';
  /** The password the database has (as far as Coffer has confirmed). */
  password: string;
  /** Epoch ms of the last confirmed rotation. */
  lastVaultRotation: number;
  /**
   * A password written before it is sent to the database. If Coffer stops between the two, the next
   * start re-applies it, so the password the database ends up with is always one Coffer still holds.
   */
  pending?: { password: string; since: number };
}

export const keys = {
  connection: (name: string) => `config/${name}`,
  role: (name: string) => `role/${name}`,
  staticRole: (name: string) => `static-role/${name}`,
};

export const loadConnection = (storage: StorageView, name: string) =>
  storage.getJson<ConnectionConfig>(keys.connection(name));
export const loadRole = (storage: StorageView, name: string) => storage.getJson<DynamicRole>(keys.role(name));
export const loadStaticRole = (storage: StorageView, name: string) =>
  storage.getJson<StaticRole>(keys.staticRole(name));

/** `*` matches any run of characters, as Vault's allowed_roles globs do. */
export function roleAllowed(config: ConnectionConfig, roleName: string): boolean {
  // A linear glob match: a regex built from an operator's pattern could backtrack for minutes.
  return globListMatches(config.allowedRoles, roleName);
}
