/** Root-protected ("sudo") paths: the request needs `sudo` in its rule on top of the operation's capability. */

/**
 * Vault's `PathsSpecial.Root` of the system backend and the token store, as full paths (API.md 3.9). A
 * trailing `*` is a plain prefix; anything else must match exactly, as the router's root-path check does.
 */
const SUDO_PATHS = [
  'sys/auth/*',
  'sys/remount',
  'sys/audit',
  'sys/audit/*',
  'sys/raw',
  'sys/raw/*',
  'sys/replication/primary/secondary-token',
  'sys/replication/performance/primary/secondary-token',
  'sys/replication/dr/primary/secondary-token',
  'sys/replication/reindex',
  'sys/replication/dr/reindex',
  'sys/replication/performance/reindex',
  'sys/rotate',
  'sys/config/cors',
  'sys/config/auditing/*',
  'sys/config/ui/headers/*',
  'sys/plugins/catalog/*',
  'sys/plugins/runtimes/catalog/*',
  'sys/revoke-prefix/*',
  'sys/revoke-force/*',
  'sys/leases/revoke-prefix/*',
  'sys/leases/revoke-force/*',
  'sys/leases/lookup/*',
  'sys/leases',
  'sys/internal/inspect/*',
  'sys/storage/raft/snapshot-auto/config/*',
  // Vault enforces these two in code (RootPrivsRequired), with the same outcome.
  'sys/seal',
  'sys/step-down',
  'auth/token/accessors*',
  'auth/token/revoke-orphan/*',
  // Vault's handler checks sudo for the body form of revoke-orphan; Coffer lets the ACL do it.
  'auth/token/revoke-orphan',
];

const EXACT = new Set(SUDO_PATHS.filter((p) => !p.endsWith('*')));
const PREFIXES = SUDO_PATHS.filter((p) => p.endsWith('*')).map((p) => p.slice(0, -1));

/** Whether a request path (leading `/` ignored) is root-protected. */
export function isSudoPath(path: string): boolean {
  const clean = path.replace(/^\/+/, '');
  return EXACT.has(clean) || PREFIXES.some((prefix) => clean.startsWith(prefix));
}
