/** Every built-in engine and auth method by type; adding one is one line here. */
import type { Engine } from '../framework/engine.js';

export type EngineRegistry = ReadonlyMap<string, Engine>;

export function createRegistry(engines: Engine[]): EngineRegistry {
  return new Map(engines.map((e) => [e.type, e]));
}
