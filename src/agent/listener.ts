/** Starts the API proxy's tcp and unix listeners; a unix socket gets its mode (0600 unless configured). */
import { chmod, lstat, mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import type { AgentListenerConfig } from './listener-config.js';

export interface RunningListener {
  /** `http://127.0.0.1:8100`, or `unix:///path/agent.sock`. */
  address: string;
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

function splitHostPort(address: string): { host: string; port: number } {
  const match = /^\[?([^\]]*)\]?:(\d+)$/.exec(address);
  if (!match) throw new Error(`listener "tcp": address must be host:port`);
  return { host: match[1], port: Number(match[2]) };
}

function listen(server: http.Server, target: { host: string; port: number } | string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const done = () => {
      server.off('error', reject);
      resolve();
    };
    if (typeof target === 'string') server.listen(target, done);
    else server.listen(target.port, target.host, done);
  });
}

function closer(server: http.Server, after?: () => Promise<void>): () => Promise<void> {
  return async () => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    await after?.();
  };
}

async function createHttpServer(config: AgentListenerConfig, handler: Handler): Promise<http.Server> {
  const server = config.tlsDisable
    ? http.createServer(handler)
    : https.createServer(
        {
          cert: await readFile(config.tlsCertFile!),
          key: await readFile(config.tlsKeyFile!),
          minVersion: 'TLSv1.2',
        },
        handler,
      );
  // Vault's listener defaults: 10 s for the headers, 30 s for the whole request.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.maxHeadersCount = 100;
  return server;
}

/** A stale socket from an earlier run is removed; any other file at the path is left alone. */
async function removeStaleSocket(path: string): Promise<void> {
  const stat = await lstat(path).catch(() => undefined);
  if (!stat) return;
  if (!stat.isSocket()) throw new Error(`listener "unix": ${path} exists and is not a socket`);
  await rm(path);
}

/** sockaddr_un holds 108 bytes with the terminating NUL. */
const MAX_SOCKET_PATH_BYTES = 107;

/**
 * Binds the socket in a fresh 0700 directory next to `path`, gives it its mode, then renames it into
 * place: no one else can connect before it has its mode, and the process umask is never touched (a
 * process-wide umask would also apply to files other parts of the agent create meanwhile; SECURITY.md
 * J5, K4, CVE-2021-38553). The rename is atomic and in the same directory, so on the same filesystem.
 */
async function bindUnixSocket(server: http.Server, path: string, mode: number): Promise<void> {
  const staging = await mkdtemp(join(dirname(path), '.'));
  try {
    await chmod(staging, 0o700);
    const temporary = join(staging, 's');
    if (Buffer.byteLength(temporary) > MAX_SOCKET_PATH_BYTES)
      throw new Error(`listener "unix": the socket's directory path is too long`);
    await listen(server, temporary);
    try {
      await chmod(temporary, mode);
      await rename(temporary, path);
    } catch (error) {
      server.close();
      throw error;
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

export async function startListener(config: AgentListenerConfig, handler: Handler): Promise<RunningListener> {
  const server = await createHttpServer(config, handler);
  if (config.type === 'tcp') {
    await listen(server, splitHostPort(config.address));
    const { address, port } = server.address() as AddressInfo;
    const host = address.includes(':') ? `[${address}]` : address;
    return { address: `${config.tlsDisable ? 'http' : 'https'}://${host}:${port}`, close: closer(server) };
  }
  await removeStaleSocket(config.address);
  await bindUnixSocket(server, config.address, config.socketMode);
  return {
    address: `unix://${config.address}`,
    close: closer(server, () => rm(config.address, { force: true })),
  };
}
