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

export async function localServiceAccount(): Promise<{ caPem: string; jwt: string }> {
  const [caPem, jwt] = await Promise.all([
    readIfPresent(`${DIRECTORY}/ca.crt`),
    readIfPresent(`${DIRECTORY}/token`),
  ]);
  return { caPem, jwt };
}
