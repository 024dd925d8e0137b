/**
 * A workload put through the request pipeline in-process: no HTTP, memory storage, 64 requests in
 * flight. Run by bench/instructions.ts under callgrind, so the setup (seeding included) is the same
 * for every count and cancels out between two counts. Usage (a build's dist/ folder, made by
 * `npm run build`):
 *   node --import tsx bench/in-process.ts WORKLOAD COUNT DIST
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { sender } from '../src/core/testing.js';

/** The pipeline's own sender (src/core/testing.ts); the build it comes from is loaded at run time. */
type Send = ReturnType<typeof sender>;

/** The same paths and bodies as the HTTP workloads of the same name (bench/workloads.ts). */
export const IN_PROCESS_WORKLOADS: Record<
  string,
  (send: Send, root: string) => Promise<() => ReturnType<Send>>
> = {
  // Over the 1,000 seeded keys (HTTP: 5,000 with 4,000 new), so every measured write is a steady-state
  // one: it prunes the oldest of 10 versions. Seeding 5,000 keys that far takes minutes under callgrind.
  'kv2-write': async (send, root) => {
    await seedKv(send, root, 11);
    const body = { data: { value: 'w'.repeat(100) } };
    let i = 0;
    return () => send('update', `bench-kv2/data/write/${i++ % 1000}`, root, body);
  },
  'kv2-read': async (send, root) => {
    await seedKv(send, root, 1);
    // A token that holds only a read policy, so the ACL check is in the figure, as over HTTP.
    await send('update', 'sys/policies/acl/bench-read', root, {
      policy: 'path "bench-kv2/data/*" { capabilities = ["read"] }',
    });
    const created = await send('update', 'auth/token/create', root, { policies: ['bench-read'] });
    const token = String(created.auth?.client_token);
    let i = 0;
    return () => send('read', `bench-kv2/data/write/${i++ % 1000}`, token);
  },
  'token-create': async (send, root) => () =>
    send('update', 'auth/token/create', root, { ttl: '1h', policies: ['default'] }),
  'approle-login': async (send, root) => {
    await send('update', 'sys/auth/approle', root, { type: 'approle' });
    await send('update', 'auth/approle/role/bench', root, { token_policies: 'default', token_ttl: '1h' });
    const roleId = (await send('read', 'auth/approle/role/bench/role-id', root)).response?.data?.role_id;
    const secretId = (await send('update', 'auth/approle/role/bench/secret-id', root, {})).response?.data
      ?.secret_id;
    return () => send('update', 'auth/approle/login', undefined, { role_id: roleId, secret_id: secretId });
  },
};

/** 1,000 keys of 100 B, each written `versions` times (11 is past KV's 10: a write then prunes one). */
async function seedKv(send: Send, root: string, versions: number): Promise<void> {
  await send('update', 'sys/mounts/bench-kv2', root, { type: 'kv', options: { version: '2' } });
  for (let n = 0; n < 1000 * versions; n++)
    await send('update', `bench-kv2/data/write/${n % 1000}`, root, { data: { value: 'w'.repeat(100) } });
}

async function main() {
  const [name, countText, dist] = process.argv.slice(2);
  const workload = IN_PROCESS_WORKLOADS[name];
  if (!workload || !dist) throw new Error('usage: in-process.ts WORKLOAD COUNT DIST');
  const load = (file: string) => import(pathToFileURL(resolve(dist, file)).href);
  const testing = await load('core/testing.js');
  const { loadBuiltinEngines } = await load('engines/registry.js');
  const { core, rootToken } = await testing.startDevCore({ engines: await loadBuiltinEngines() });
  const send: Send = testing.sender(core);
  const op = await workload(send, rootToken);
  const count = Number(countText);
  let started = 0;
  const worker = async () => {
    while (started < count) {
      started++;
      // A refused request throws; one that found nothing (a 404) answers with neither data nor auth.
      const result = await op();
      if (!result.response?.data && !result.auth) throw new Error(`${name} answered nothing`);
    }
  };
  await Promise.all(Array.from({ length: 64 }, worker));
  process.exit(0);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
