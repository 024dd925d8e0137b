/**
 * Inside a pod, Vault falls back to the pod's own service account CA and JWT when the config names
 * none (unless disable_local_ca_jwt). Missing files simply mean "not running in Kubernetes".
 */
import { readFile } from 'node:fs/promises';

const DIRECTORY = '/var/run/secrets/kubernetes.io/serviceaccount';

async function readIfPresent(path: string): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    return '';
  }
}

/** Re-read at most this often: the kubelet rotates the projected token well before it expires. */
const REREAD_MS = 60_000;
let cached: { at: number; files: Promise<{ caPem: string; jwt: string }> } | undefined;

/** The pod's CA and token, read once a minute rather than on every login (as Vault's plugin caches them). */
export function localServiceAccount(now = Date.now()): Promise<{ caPem: string; jwt: string }> {
  if (!cached || now - cached.at >= REREAD_MS) {
    const files = Promise.all([
      readIfPresent(`${DIRECTORY}/ca.crt`),
      readIfPresent(`${DIRECTORY}/token`),
    ]).then(([caPem, jwt]) => ({ caPem, jwt }));
    cached = { at: now, files };
  }
  return cached.files;
}
