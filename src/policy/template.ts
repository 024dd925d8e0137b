/** Renders `{{identity.…}}` placeholders in policy paths; a placeholder that cannot be filled drops the rule. */

export interface IdentityContext {
  entity?: {
    id: string;
    name: string;
    metadata?: Record<string, string>;
    /** By mount accessor. */
    aliases?: Record<
      string,
      { id: string; name: string; metadata?: Record<string, string>; customMetadata?: Record<string, string> }
    >;
  };
  groups?: { id: string; name: string; metadata?: Record<string, string> }[];
}

const PLACEHOLDER = /\{\{\s*([^{}]+?)\s*\}\}/g;

type Entity = NonNullable<IdentityContext['entity']>;

function resolveAlias(entity: Entity, parts: string[]): string | undefined {
  const alias = entity.aliases?.[parts[3]];
  if (!alias) return undefined;
  if (parts.length === 5 && parts[4] === 'id') return alias.id;
  if (parts.length === 5 && parts[4] === 'name') return alias.name;
  if (parts.length === 6 && parts[4] === 'metadata') return alias.metadata?.[parts[5]];
  if (parts.length === 6 && parts[4] === 'custom_metadata') return alias.customMetadata?.[parts[5]];
  return undefined;
}

function resolveEntity(entity: Entity, parts: string[]): string | undefined {
  if (parts.length === 3 && parts[2] === 'id') return entity.id;
  if (parts.length === 3 && parts[2] === 'name') return entity.name;
  if (parts.length === 4 && parts[2] === 'metadata') return entity.metadata?.[parts[3]];
  if (parts[2] === 'aliases' && parts.length >= 5) return resolveAlias(entity, parts);
  return undefined;
}

function resolveGroup(identity: IdentityContext, parts: string[]): string | undefined {
  const byId = parts[2] === 'ids';
  const group = identity.groups?.find((g) => (byId ? g.id : g.name) === parts[3]);
  if (!group) return undefined;
  if (parts.length === 5 && parts[4] === (byId ? 'name' : 'id')) return byId ? group.name : group.id;
  if (parts.length === 6 && parts[4] === 'metadata') return group.metadata?.[parts[5]];
  return undefined;
}

function resolve(expression: string, identity: IdentityContext): string | undefined {
  const parts = expression.split('.');
  if (parts[0] !== 'identity') return undefined;
  if (parts[1] === 'entity' && identity.entity) return resolveEntity(identity.entity, parts);
  if (parts[1] === 'groups' && parts.length >= 5) return resolveGroup(identity, parts);
  return undefined;
}

/** The rendered pattern, the pattern itself when it has no placeholder, or undefined when one cannot be filled. */
export function renderPattern(pattern: string, identity: IdentityContext): string | undefined {
  if (!pattern.includes('{{')) return pattern;
  let failed = false;
  const rendered = pattern.replace(PLACEHOLDER, (_match, expression: string) => {
    const value = resolve(expression, identity);
    // A value that would change the path's shape (a slash or a glob) is refused too: never widen.
    if (value === undefined || value === '' || /[/*+]/.test(value)) {
      failed = true;
      return '';
    }
    return value;
  });
  return failed || rendered.includes('{{') ? undefined : rendered;
}
