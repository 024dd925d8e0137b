/**
 * One rendering round over a set of templates, consul-template style: render, note the secrets not yet
 * fetched, fetch them (each once for all templates), render again, until nothing is missing.
 */
import { type CompiledTemplate, renderTemplate } from './render.js';
import type { SecretStore } from './secret-store.js';

/** Nested lookups (a path built from another secret) need one pass per level; more is a loop. */
const MAX_PASSES = 8;

export type RenderResult = { ok: true; text: string } | { ok: false; error: Error };

export async function renderRound(
  templates: readonly CompiledTemplate[],
  store: SecretStore,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RenderResult[]> {
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const session = store.session();
    const results = templates.map((template): RenderResult => {
      try {
        return { ok: true, text: renderTemplate(template, { server: session.server, env }) };
      } catch (error) {
        return { ok: false, error: error as Error };
      }
    });
    // Errors in a pass that still misses secrets come from the placeholders; only the final pass counts.
    if (session.missing.size === 0) {
      // A template that failed may have stopped before some of its secrets: keep those (and their
      // leases) rather than re-issue them on the next round.
      if (results.every((result) => result.ok)) store.retain(session.used);
      return results;
    }
    await store.load(session.missing.values());
  }
  throw new Error(`templates still need more secrets after ${MAX_PASSES} passes`);
}
