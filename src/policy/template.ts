/** Renders `{{identity.…}}` placeholders in policy paths; a placeholder that cannot be filled drops the rule. */

export interface EntityAlias {
  /** The auth mount the alias belongs to: templates select aliases by this, never by name. */
  mountAccessor: string;
  id: string;
  name: string;
  metadata?: Record<string, string>;
  customMetadata?: Record<string, string>;
}

export interface IdentityGroup {
  id: string;
  name: string;
  metadata?: Record<string, string>;
}

/** What a token's identity contributes to templated paths; absent parts render nothing. */
export interface IdentityContext {
  entity?: {
    id: string;
    name: string;
    metadata?: Record<string, string>;
    aliases?: EntityAlias[];
  };
  groups?: IdentityGroup[];
}

/**
 * Vault's balance rule (sdk/helper/identitytpl PopulateString): nothing closes before the first `{{`, and each
 * `{{` is followed by exactly one `}}`. Checked when a policy is written, so a broken template is a 400.
 */
export function templateIsBalanced(pattern: string): boolean {
  const pieces = pattern.split('{{');
  if (pieces[0].includes('}}')) return false;
  return pieces.slice(1).every((piece) => piece.split('}}').length === 2);
}

export const hasTemplate = (pattern: string) => pattern.includes('{{');

type Entity = NonNullable<IdentityContext['entity']>;

/** `metadata.<key>` where the key is everything after the first dot, as Vault splits it. */
function fromMap(map: Record<string, string> | undefined, selector: string, name: string) {
  if (!selector.startsWith(`${name}.`)) return undefined;
  const key = selector.slice(name.length + 1);
  return map && Object.hasOwn(map, key) ? map[key] : undefined;
}

function aliasValue(entity: Entity, selector: string): string | undefined {
  const dot = selector.indexOf('.');
  if (dot < 0) return undefined;
  // Vault picks the alias by mount accessor, so two aliases with the same name never see each other's data.
  const alias = entity.aliases?.find((a) => a.mountAccessor === selector.slice(0, dot));
  if (!alias) return undefined;
  const rest = selector.slice(dot + 1);
  if (rest === 'id') return alias.id;
  if (rest === 'name') return alias.name;
  return fromMap(alias.metadata, rest, 'metadata') ?? fromMap(alias.customMetadata, rest, 'custom_metadata');
}

function entityValue(entity: Entity, selector: string): string | undefined {
  if (selector === 'id') return entity.id;
  if (selector === 'name') return entity.name;
  if (selector.startsWith('aliases.')) return aliasValue(entity, selector.slice('aliases.'.length));
  // `metadata` alone and `groups.names`/`groups.ids` are maps or lists: Vault's ACL mode cannot render them.
  return fromMap(entity.metadata, selector, 'metadata');
}

function groupValue(groups: IdentityGroup[], selector: string): string | undefined {
  const match = /^(ids|names)\.([^.]*)\.(.+)$/.exec(selector);
  if (!match) return undefined;
  const [, by, key, rest] = match;
  const group = groups.find((g) => (by === 'ids' ? g.id : g.name) === key);
  if (!group) return undefined;
  if (rest === 'id') return group.id;
  if (rest === 'name') return group.name;
  return fromMap(group.metadata, rest, 'metadata');
}

function resolve(expression: string, identity: IdentityContext): string | undefined {
  if (expression.startsWith('identity.entity.')) {
    return identity.entity && entityValue(identity.entity, expression.slice('identity.entity.'.length));
  }
  if (expression.startsWith('identity.groups.')) {
    return identity.groups?.length
      ? groupValue(identity.groups, expression.slice('identity.groups.'.length))
      : undefined;
  }
  // `time.*` renders in Vault too, but a path that changes every second is no ACL rule; refuse it.
  return undefined;
}

/**
 * A value that would change the shape of the path is refused, as OpenBao does since GHSA-59w7-v8rr-pr4p:
 * `/` adds segments, `*` and `+` become globs, `,` splits lists, `..` walks up, an empty value shortens the
 * path (Vault itself renders an empty metadata value; Coffer refuses it so a rule can never widen).
 */
function safeValue(value: string | undefined): value is string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused
  return value !== undefined && value !== '' && !/[/*+,{}\u0000-\u001f\u007f]|\.\./.test(value);
}

/** The rendered pattern, the pattern itself when it has no placeholder, or undefined when one cannot be filled. */
export function renderPattern(pattern: string, identity: IdentityContext): string | undefined {
  if (!hasTemplate(pattern)) return pattern;
  if (!templateIsBalanced(pattern)) return undefined;
  const pieces = pattern.split('{{');
  let out = pieces[0];
  for (const piece of pieces.slice(1)) {
    const [expression, tail] = piece.split('}}');
    const value = resolve(expression.trim(), identity);
    if (!safeValue(value)) return undefined;
    out += value + tail;
  }
  return out;
}
