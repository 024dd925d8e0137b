/** Wires a running server: storage → core → HTTP listeners. The one place where parts are assembled. */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { TransitWrapper } from '../barrier/transit-wrapper.js';
import { Core } from '../core/core.js';
import { lazyRegistry } from '../core/engine-registry.js';
import { newMountEntry } from '../core/mounts.js';
import { builtinEngineLoaders } from '../engines/registry.js';
import { type Clock, systemClock } from '../framework/clock.js';
import { createLogger, type Logger } from '../framework/log.js';
import { forwardedForResolver } from '../http/forwarded-for.js';
import { createHandler } from '../http/handler.js';
import { createListener, type Listener } from '../http/listener/index.js';
import { parseGoBool } from '../http/parse-request.js';
import { defaultUiDirectories, loadUiAssets } from '../http/ui.js';
import { openStorage } from '../storage/index.js';
import { advertisedAddress } from './advertise.js';
import type { ServerConfig } from './config.js';

export interface RunningServer {
  core: Core;
  addresses: string[];
  log: Logger;
  /** SIGHUP: file audit devices reopen their files (log rotation). */
  reopenAudit(): Promise<void>;
  stop(): Promise<void>;
}

/** Vault's PostgreSQL HA lock TTL. */
const HA_LOCK_TTL_MS = 15_000;

/**
 * The HA lock's TTL. `COFFER_HA_LOCK_TTL_MS` is for tests only (the failover tests run with 3 s), as
 * Vault's own tests shorten theirs; operators have no setting for it, as in Vault.
 */
function haLockTtlMs(): number {
  const value = Number(process.env.COFFER_HA_LOCK_TTL_MS);
  return Number.isInteger(value) && value > 0 ? value : HA_LOCK_TTL_MS;
}

/**
 * Test-only: `COFFER_TEST_CLOCK_OFFSET_MS` shifts the core's clock (the HA election, expiry) by that
 * many ms, for SECURITY.md H4's clock-skew test (test/ha-fencing.test.ts). Not an operator setting.
 */
function coreClock(): Clock {
  const offset = Number(process.env.COFFER_TEST_CLOCK_OFFSET_MS);
  if (!Number.isInteger(offset) || offset === 0) return systemClock;
  return { now: () => Date.now() + offset, setTimer: systemClock.setTimer };
}

/** Vault's `VAULT_DISABLE_USER_LOCKOUT`: a Go boolean; anything else stops the server. */
function lockoutDisabledByEnvironment(): boolean {
  const value = process.env.VAULT_DISABLE_USER_LOCKOUT;
  if (value === undefined || value === '') return false;
  const flag = parseGoBool(value);
  if (flag === undefined)
    throw new Error('Error parsing the environment variable VAULT_DISABLE_USER_LOCKOUT');
  return flag;
}

export async function startServer(
  config: ServerConfig,
  options: { dev?: boolean } = {},
): Promise<RunningServer> {
  const log = createLogger(config.logLevel);
  const physical = await openStorage(
    config.storage.type as 'inmem' | 'sqlite' | 'postgresql',
    config.storage.options,
  );
  // Random per process, as Vault's node UUID: a restarted node is a new contender for the HA lock.
  const nodeId = randomUUID();
  log.info('node id', { node_id: nodeId });
  const sealWrapper =
    config.seal && new TransitWrapper(config.seal, { log: log.child('seal-transit'), clock: systemClock });
  const core = new Core({
    physical,
    log,
    clock: coreClock(),
    sealWrapper,
    registry: lazyRegistry(builtinEngineLoaders),
    defaultLeaseTtl: config.defaultLeaseTtl,
    maxLeaseTtl: config.maxLeaseTtl,
    userLockout: { blocks: config.userLockout, disabledByEnvironment: lockoutDisabledByEnvironment() },
    // As Vault's dev server, without api_addr the first listener's address stands in (bound below);
    // a wildcard bind address is advertised as the loopback address, never as 0.0.0.0 or [::].
    apiAddr: () => config.apiAddr ?? (addresses[0] === undefined ? '' : advertisedAddress(addresses[0])),
    ha: { nodeId, clusterAddr: config.clusterAddr, ttlMs: haLockTtlMs() },
    // Dev mode mounts KV v2 at secret/, as Vault's dev server does.
    initialMounts: options.dev
      ? () => [
          newMountEntry('mounts', 'secret/', 'kv', {
            description: 'key/value secret storage',
            options: { version: '2' },
          }),
        ]
      : undefined,
  });
  try {
    await core.checkSealType();
  } catch (error) {
    sealWrapper?.close();
    await physical.close();
    throw error;
  }
  const listeners: Listener[] = [];
  const addresses: string[] = [];
  try {
    const ui = config.ui ? await loadUiAssets(defaultUiDirectories()) : undefined;
    for (const listenerConfig of config.listeners) {
      const handler = createHandler(core, {
        maxRequestBytes: listenerConfig.maxRequestBytes,
        maxRequestDurationMs: listenerConfig.maxRequestDurationMs,
        clientAddressOf: listenerConfig.forwardedFor && forwardedForResolver(listenerConfig.forwardedFor),
        ui,
        log,
      });
      const tls = listenerConfig.tlsDisable
        ? undefined
        : {
            cert: await readFile(listenerConfig.tlsCertFile!),
            key: await readFile(listenerConfig.tlsKeyFile!),
            minVersion: listenerConfig.tlsMinVersion,
          };
      const listener = createListener(handler, {
        tls,
        headersTimeoutMs: listenerConfig.readHeaderTimeoutMs,
        requestTimeoutMs: listenerConfig.readTimeoutMs,
        keepAliveTimeoutMs: listenerConfig.idleTimeoutMs,
      });
      const { host, port } = splitAddress(listenerConfig.address);
      const bound = await listener.listen(port, host);
      listeners.push(listener);
      addresses.push(
        `${tls ? 'https' : 'http'}://${bound.host.includes(':') ? `[${bound.host}]` : bound.host}:${bound.port}`,
      );
    }
  } catch (error) {
    // One listener failed (its port taken, a bad certificate): close what did open and the storage,
    // so the process ends with the error instead of serving on half its listeners.
    await Promise.all(listeners.map((l) => l.close()));
    sealWrapper?.close();
    await physical.close();
    throw error;
  }
  if (sealWrapper) {
    log.info('auto-unseal: transit seal configured', sealWrapper.describe());
    sealWrapper.startRenewal();
    // As Vault's runUnseal: unseal in the background, retrying while the seal cannot answer.
    core.startAutoUnseal();
  }
  return {
    core,
    addresses,
    log,
    async reopenAudit() {
      if (!core.isSealed()) await core.unsealed.audit.reopenAll();
    },
    async stop() {
      // As Vault: no new connections, then a seal that waits for the requests in flight and answers
      // 503 to any that arrive meanwhile; each connection closes once its response is written.
      const closed = Promise.all(listeners.map((l) => l.close(core.sealGraceMs + 2000)));
      await core.sealVault();
      await closed;
      sealWrapper?.close();
      await physical.close();
    },
  };
}

function splitAddress(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  const host = address.slice(0, at).replace(/^\[|\]$/g, '') || '127.0.0.1';
  const port = Number(address.slice(at + 1));
  if (at === -1 || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`invalid listener address: ${address}`);
  }
  return { host, port };
}
