/**
 * An identity token's claims: the six Vault sets itself, then the top-level members of the role's
 * rendered template, except reserved ones (refused when the role is written, skipped here).
 */
import type { Logger } from '../../../framework/log.js';
import type { EntityView } from './entity-source.js';
import { EMPTY_ENTITY, renderTemplate, TemplateError } from './template.js';

/** Vault's reservedClaims, in its order (its error message lists them so). */
export const RESERVED_CLAIMS = [
  'iat',
  'aud',
  'exp',
  'iss',
  'sub',
  'namespace',
  'nonce',
  'auth_time',
  'at_hash',
  'c_hash',
];

export interface BaseClaims {
  iss: string;
  namespace: string;
  sub: string;
  aud: string;
  exp: number;
  iat: number;
}

class NotAnObject extends Error {}

function parseObject(text: string): Record<string, unknown> {
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new NotAnObject('the template is not a JSON object');
  return parsed as Record<string, unknown>;
}

/**
 * Why a role's template cannot be stored, in Vault's words, or undefined when it can: it must render
 * for an empty entity, parse as a JSON object and set no reserved claim.
 */
export function templateProblem(template: string, nowSeconds: number): string | undefined {
  if (template === '') return undefined;
  let rendered: string;
  try {
    rendered = renderTemplate(template, EMPTY_ENTITY, nowSeconds);
  } catch (error) {
    return `error parsing template: ${(error as Error).message}`;
  }
  let claims: Record<string, unknown>;
  try {
    claims = parseObject(rendered);
  } catch (error) {
    // Not JSON.parse's own message: it quotes the input, and an error never echoes a value (K2).
    const reason = error instanceof NotAnObject ? error.message : 'the template is not valid JSON';
    return `error parsing template JSON: ${reason}`;
  }
  const reserved = Object.keys(claims).find((claim) => RESERVED_CLAIMS.includes(claim));
  if (reserved)
    return `top level key "${reserved}" not allowed. Restricted keys: ${RESERVED_CLAIMS.join(', ')}`;
  return undefined;
}

/**
 * The token's claims. As in Vault, a template that fails for this entity (a directive with no value)
 * is logged and left out; the token is still issued with the base claims.
 */
export function buildClaims(
  base: BaseClaims,
  template: string,
  entity: EntityView,
  log: Logger,
): Record<string, unknown> {
  const claims: Record<string, unknown> = { ...base };
  if (template === '') return claims;
  let extra: Record<string, unknown>;
  try {
    extra = parseObject(renderTemplate(template, entity, base.iat));
  } catch (error) {
    // The template's text and the entity's values stay out of the log: they may hold personal data.
    const reason =
      error instanceof TemplateError ? error.message : 'the rendered template is not a JSON object';
    log.warn('error populating OIDC token template', { reason });
    return claims;
  }
  for (const [name, value] of Object.entries(extra)) {
    if (RESERVED_CLAIMS.includes(name)) log.warn('invalid top level OIDC template key', { key: name });
    else claims[name] = value;
  }
  return claims;
}
