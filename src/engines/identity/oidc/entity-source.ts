/**
 * The identity data a token's claims are built from, as the identity store provides it. The OIDC part
 * only reads entities through this interface, so it does not depend on how the store keeps them.
 */
import type { EngineContext } from '../../../framework/path.js';

/** An entity alias as templates see it (`identity.entity.aliases.<mount accessor>.*`). */
export interface EntityAliasView {
  id: string;
  name: string;
  mountAccessor: string;
  metadata: Record<string, string>;
  customMetadata: Record<string, string>;
}

export interface EntityView {
  id: string;
  name: string;
  /** A disabled entity's tokens introspect as inactive (Vault: "entity is disabled"). */
  disabled: boolean;
  metadata: Record<string, string>;
  /** Direct and inherited groups, in a stable order. */
  groupIds: string[];
  groupNames: string[];
  aliases: EntityAliasView[];
}

export interface EntitySource {
  /**
   * The entity with this id, or undefined when there is none (deleted, never existed). `ctx` is the
   * identity mount's context, for a source that reads the mount's storage; it may be ignored.
   */
  entityById(id: string, ctx: EngineContext): Promise<EntityView | undefined>;
}

/** A fixed set of entities, kept in memory (tests, and a store that loads everything up front). */
export class InMemoryEntitySource implements EntitySource {
  private readonly byId = new Map<string, EntityView>();

  constructor(entities: EntityView[] = []) {
    for (const entity of entities) this.put(entity);
  }

  put(entity: EntityView): void {
    this.byId.set(entity.id, entity);
  }

  remove(id: string): void {
    this.byId.delete(id);
  }

  async entityById(id: string): Promise<EntityView | undefined> {
    return this.byId.get(id);
  }
}
