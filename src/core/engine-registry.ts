/** The secrets engines and auth methods a core can mount, by type. */
import type { Engine } from '../framework/engine.js';

export interface EngineRegistry {
  /** Whether `type` can be mounted, without loading its code. */
  has(type: string): boolean;
  /** The engine for `type`, its module loaded on first use; undefined for an unknown type. */
  load(type: string): Promise<Engine | undefined>;
}

/** Imports one engine's module and returns the engine it defines. */
export type EngineLoader = () => Promise<Engine>;

/**
 * A registry that imports an engine's module when a mount of its type is first set up (an `enable`,
 * or an unseal with such a mount in the table). A server that never mounts PKI or LDAP never loads
 * them; importing all of them at start-up was ~90 ms of a ~800 ms cold start on one core.
 */
export function lazyRegistry(loaders: Readonly<Record<string, EngineLoader>>): EngineRegistry {
  const loaded = new Map<string, Promise<Engine>>();
  return {
    has: (type) => Object.hasOwn(loaders, type),
    load(type) {
      if (!Object.hasOwn(loaders, type)) return Promise.resolve(undefined);
      let engine = loaded.get(type);
      if (!engine) {
        engine = loaders[type]();
        // A failed import is not remembered: the next mount of the type tries again.
        engine.catch(() => loaded.delete(type));
        loaded.set(type, engine);
      }
      return engine;
    },
  };
}

/** A registry of engines already loaded (tests build their cores from these). */
export function createRegistry(engines: Engine[]): EngineRegistry {
  const byType = new Map(engines.map((e) => [e.type, e]));
  return {
    has: (type) => byType.has(type),
    load: (type) => Promise.resolve(byType.get(type)),
  };
}
