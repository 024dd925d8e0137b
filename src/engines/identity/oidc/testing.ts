/** Mounts the identity token paths alone on in-memory storage with a fake clock, for their unit tests. */
import { FakeClock } from '../../../framework/clock.js';
import { defineEngine, type Engine } from '../../../framework/engine.js';
import { mountForTest, type TestMount } from '../../../framework/testing.js';
import { type EntityView, InMemoryEntitySource } from './entity-source.js';
import { createOidc, type Oidc } from './index.js';

export interface OidcTestMount extends TestMount {
  clock: FakeClock;
  oidc: Oidc;
  entities: InMemoryEntitySource;
}

export function testEntity(overrides: Partial<EntityView> = {}): EntityView {
  return {
    id: 'entity-1',
    name: 'alice',
    disabled: false,
    metadata: { team: 'payments' },
    groupIds: ['group-1'],
    groupNames: ['engineers'],
    aliases: [],
    ...overrides,
  };
}

/** An `identity` engine with only the token paths, as the identity store's engine will list them. */
export function identityEngineOf(oidc: Oidc): Engine {
  return defineEngine({
    type: 'identity',
    help: 'identity tokens under test',
    paths: oidc.paths,
    initialize: (ctx) => oidc.initialize(ctx),
    cleanup: (ctx) => oidc.cleanup(ctx),
  });
}

export async function mountOidcForTest(
  entities = new InMemoryEntitySource([testEntity()]),
): Promise<OidcTestMount> {
  const clock = new FakeClock();
  const oidc = createOidc({ entities });
  const mount = await mountForTest(identityEngineOf(oidc), { clock, mountPath: 'identity/' });
  return { ...mount, clock, oidc, entities };
}

/** Moves the fake clock and waits for the rotation sweep its timer started. */
export async function advance(mount: OidcTestMount, ms: number): Promise<void> {
  mount.clock.advance(ms);
  await mount.oidc.idle(mount.ctx);
}
