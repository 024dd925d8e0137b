/** The workloads of PERFORMANCE.md: how each prepares its data and what it sends. */
import type { LoadSpec } from './load.js';
import type { BenchServer } from './server.js';

export interface Workload {
  name: string;
  baseline: string;
  target: number;
  unavailable?: string;
  prepare(server: BenchServer): Promise<Omit<LoadSpec, 'url' | 'durationSeconds'> | undefined>;
}

const rotate = <T>(items: T[]) => {
  let i = 0;
  return () => items[i++ % items.length];
};

async function seedKv(
  server: BenchServer,
  mount: string,
  version: '1' | '2',
  count: number,
): Promise<string[]> {
  await server.api('POST', `sys/mounts/${mount}`, { type: 'kv', options: { version } }, server.token);
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    const path = version === '2' ? `${mount}/data/app/${i}` : `${mount}/app/${i}`;
    const body = version === '2' ? { data: { value: 'v'.repeat(100) } } : { value: 'v'.repeat(100) };
    await server.api('POST', path, body, server.token);
    paths.push(`/v1/${path}`);
  }
  return paths;
}

export const WORKLOADS: Workload[] = [
  {
    name: 'health',
    baseline: 'bare-http',
    target: 0.75,
    prepare: async () => ({ connections: 64, next: () => ({ path: '/v1/sys/health' }) }),
  },
  {
    name: 'kv2-read',
    baseline: 'bare-http',
    target: 0.5,
    prepare: async (server) => {
      const paths = await seedKv(server, 'bench-kv2', '2', 1000);
      const next = rotate(paths);
      return { connections: 64, headers: { 'X-Vault-Token': server.token }, next: () => ({ path: next() }) };
    },
  },
  {
    name: 'kv2-read@10',
    baseline: 'bare-http@10',
    target: 0.5,
    prepare: async (server) => {
      const next = rotate(Array.from({ length: 1000 }, (_, i) => `/v1/bench-kv2/data/app/${i}`));
      return { connections: 10, headers: { 'X-Vault-Token': server.token }, next: () => ({ path: next() }) };
    },
  },
  {
    name: 'kv1-read',
    baseline: 'bare-http',
    target: 0.38,
    prepare: async (server) => {
      const next = rotate(await seedKv(server, 'bench-kv1', '1', 1000));
      return { connections: 64, headers: { 'X-Vault-Token': server.token }, next: () => ({ path: next() }) };
    },
  },
  {
    name: 'kv2-write@1',
    baseline: 'raw-fsync',
    target: 0.5,
    prepare: async (server) => {
      let i = 0;
      const body = JSON.stringify({ data: { value: 'w'.repeat(100) } });
      return {
        connections: 1,
        headers: { 'X-Vault-Token': server.token, 'Content-Type': 'application/json' },
        next: () => ({ path: `/v1/bench-kv2/data/write/${i++ % 500}`, method: 'POST', body }),
      };
    },
  },
  {
    name: 'kv2-write@64',
    baseline: 'bare-http',
    target: 0.18,
    prepare: async (server) => {
      let i = 0;
      const body = JSON.stringify({ data: { value: 'w'.repeat(100) } });
      return {
        connections: 64,
        headers: { 'X-Vault-Token': server.token, 'Content-Type': 'application/json' },
        next: () => ({ path: `/v1/bench-kv2/data/write/${i++ % 5000}`, method: 'POST', body }),
      };
    },
  },
  {
    name: 'token-create',
    baseline: 'bare-http',
    target: 0.12,
    prepare: async (server) => ({
      connections: 64,
      headers: { 'X-Vault-Token': server.token, 'Content-Type': 'application/json' },
      next: () => ({
        path: '/v1/auth/token/create',
        method: 'POST',
        body: '{"ttl":"1h","policies":["default"]}',
      }),
    }),
  },
  {
    name: 'lookup-self',
    baseline: 'bare-http',
    target: 0.4,
    prepare: async (server) => ({
      connections: 64,
      headers: { 'X-Vault-Token': server.token },
      next: () => ({ path: '/v1/auth/token/lookup-self' }),
    }),
  },
];
