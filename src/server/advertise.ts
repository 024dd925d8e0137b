/**
 * The address the server names itself by when api_addr is unset. Vault's dev server takes its first
 * listener's address (127.0.0.1:8200 by default); a wildcard bind address is not one a client can
 * reach, so the loopback address stands in for it and 0.0.0.0 or [::] is never published.
 */
const WILDCARD_HOSTS = new Set(['0.0.0.0', '[::]', '[0:0:0:0:0:0:0:0]']);

export function advertisedAddress(listenerAddress: string): string {
  if (!URL.canParse(listenerAddress)) return listenerAddress;
  const url = new URL(listenerAddress);
  if (!WILDCARD_HOSTS.has(url.hostname)) return listenerAddress;
  return `${url.protocol}//127.0.0.1${url.port ? `:${url.port}` : ''}`;
}
