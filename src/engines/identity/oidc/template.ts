/**
 * Vault's identity templates in JSON mode (sdk/helper/identitytpl): `{{identity.entity.name}}` and
 * friends inside a role's JSON template become JSON values (strings quoted, lists and maps as JSON,
 * `time.now` as a number) before the template is parsed and merged into a token's claims.
 */
import { parseDurationSeconds } from '../../../framework/duration.js';
import type { EntityAliasView, EntityView } from './entity-source.js';

/** Vault's template errors; their text reaches the caller only when a role is written. */
export class TemplateError extends Error {}

const NOT_FOUND = 'no value could be found for one of the template directives';

/** The entity a template is checked against when a role is written: every value empty. */
export const EMPTY_ENTITY: EntityView = {
  id: '',
  name: '',
  disabled: false,
  metadata: {},
  groupIds: [],
  groupNames: [],
  aliases: [],
};

const quote = (value: string) => JSON.stringify(value);
// Vault renders an entity without groups as `null` (Go marshals its nil slice so), kept on purpose.
const list = (values: string[]) => (values.length === 0 ? 'null' : JSON.stringify(values));

function mapValue(map: Record<string, string>, key: string | undefined): string {
  return key === undefined ? JSON.stringify(map) : quote(Object.hasOwn(map, key) ? map[key] : '');
}

function aliasValue(alias: EntityAliasView, selector: string): string {
  if (selector === 'id') return quote(alias.id);
  if (selector === 'name') return quote(alias.name);
  if (selector === 'metadata') return mapValue(alias.metadata, undefined);
  if (selector.startsWith('metadata.')) return mapValue(alias.metadata, selector.slice(9));
  if (selector === 'custom_metadata') return mapValue(alias.customMetadata, undefined);
  if (selector.startsWith('custom_metadata.')) return mapValue(alias.customMetadata, selector.slice(16));
  throw new TemplateError(NOT_FOUND);
}

function entityValue(entity: EntityView, selector: string): string {
  if (selector === 'id') return quote(entity.id);
  if (selector === 'name') return quote(entity.name);
  if (selector === 'metadata') return mapValue(entity.metadata, undefined);
  if (selector.startsWith('metadata.')) return mapValue(entity.metadata, selector.slice(9));
  if (selector === 'groups.names') return list(entity.groupNames);
  if (selector === 'groups.ids') return list(entity.groupIds);
  if (selector.startsWith('aliases.')) {
    const rest = selector.slice(8);
    const dot = rest.indexOf('.');
    if (dot === -1) throw new TemplateError('invalid alias selector');
    const accessor = rest.slice(0, dot);
    // JSON mode: an alias the entity lacks renders as an empty one.
    const alias = entity.aliases.find((a) => a.mountAccessor === accessor) ?? {
      id: '',
      name: '',
      mountAccessor: accessor,
      metadata: {},
      customMetadata: {},
    };
    return aliasValue(alias, rest.slice(dot + 1));
  }
  throw new TemplateError(NOT_FOUND);
}

/** `identity.groups.ids.<id>.name`, `identity.groups.names.<name>.id`: one of the entity's groups. */
function groupValue(entity: EntityView, selector: string): string {
  if (entity.groupIds.length === 0)
    throw new TemplateError('string contains groups template directives but no groups were provided');
  const [by, rest] = [selector.slice(0, selector.indexOf('.')), selector.slice(selector.indexOf('.') + 1)];
  if (by !== 'ids' && by !== 'names') throw new TemplateError('invalid groups selector');
  const dot = rest.lastIndexOf('.');
  if (dot === -1) throw new TemplateError('invalid groups accessor');
  const wanted = rest.slice(0, dot);
  const index = (by === 'ids' ? entity.groupIds : entity.groupNames).indexOf(wanted);
  if (index === -1) throw new TemplateError(`entity is not a member of group "${wanted}"`);
  const field = rest.slice(dot + 1);
  if (field === 'id') return quote(entity.groupIds[index]);
  if (field === 'name') return quote(entity.groupNames[index]);
  throw new TemplateError(NOT_FOUND);
}

function timeValue(selector: string, nowSeconds: number): string {
  const [head, operator, operand] = splitTime(selector);
  if (head !== 'now') throw new TemplateError(`invalid time selector "${head}"`);
  if (operator === undefined) return String(nowSeconds);
  if (operand === undefined) throw new TemplateError('missing time operand');
  let seconds: number;
  try {
    seconds = parseDurationSeconds(operand, 'time');
  } catch {
    throw new TemplateError(`invalid duration: time: invalid duration "${operand}"`);
  }
  if (operator === 'plus') return String(nowSeconds + seconds);
  if (operator === 'minus') return String(nowSeconds - seconds);
  throw new TemplateError(`invalid time operator "${operator}"`);
}

function splitTime(selector: string): [string, string?, string?] {
  const first = selector.indexOf('.');
  if (first === -1) return [selector];
  const second = selector.indexOf('.', first + 1);
  if (second === -1) return [selector.slice(0, first), selector.slice(first + 1)];
  return [selector.slice(0, first), selector.slice(first + 1, second), selector.slice(second + 1)];
}

function directiveValue(directive: string, entity: EntityView, nowSeconds: number): string {
  if (directive.startsWith('identity.entity.')) return entityValue(entity, directive.slice(16));
  if (directive.startsWith('identity.groups.')) return groupValue(entity, directive.slice(16));
  if (directive.startsWith('time.')) return timeValue(directive.slice(5), nowSeconds);
  throw new TemplateError(NOT_FOUND);
}

/** The template with every `{{…}}` directive replaced by its JSON value. */
export function renderTemplate(template: string, entity: EntityView, nowSeconds: number): string {
  const pieces = template.split('{{');
  if (pieces[0].includes('}}')) throw new TemplateError('unbalanced templating characters');
  let out = pieces[0];
  for (const piece of pieces.slice(1)) {
    const parts = piece.split('}}');
    if (parts.length !== 2) throw new TemplateError('unbalanced templating characters');
    out += directiveValue(parts[0].trim(), entity, nowSeconds) + parts[1];
  }
  return out;
}
