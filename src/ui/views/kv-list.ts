/** A KV folder: its keys (LIST), folders first, with links to read each secret or open each folder. */
import { ApiError, api } from '../api.js';
import { el, link } from '../dom.js';
import { listPath, mountVersion } from '../kv.js';
import type { ViewContext } from './view.js';

export async function kvList(context: ViewContext): Promise<Node> {
  const [mount = '', prefix = ''] = context.params;
  const version = await mountVersion(mount);
  let keys: string[] = [];
  try {
    const body = await api('GET', listPath(version, mount, prefix), { query: { list: 'true' } });
    keys = Array.isArray(body?.data?.keys) ? body.data.keys.map(String) : [];
  } catch (error) {
    // Vault answers an empty folder with 404.
    if (!(error instanceof ApiError && error.status === 404 && error.errors.length === 0)) throw error;
  }
  keys.sort((a, b) => Number(b.endsWith('/')) - Number(a.endsWith('/')) || a.localeCompare(b));
  const items = keys.map((key) =>
    el(
      'li',
      {},
      key.endsWith('/')
        ? link(['list', mount, prefix + key], key, { class: 'folder' })
        : link(['show', mount, prefix + key], key, { class: 'secret' }),
    ),
  );
  return el(
    'section',
    {},
    breadcrumbs(mount, prefix),
    el('div', { class: 'actions' }, link(['create', mount, prefix], 'Create secret', { class: 'button' })),
    items.length === 0
      ? el('p', { class: 'muted' }, 'No secrets here yet.')
      : el('ul', { class: 'keys', 'data-testid': 'keys' }, ...items),
  );
}

/** `secret / app / db`: each folder a link back up. */
export function breadcrumbs(mount: string, path: string): HTMLElement {
  const parts = path.split('/').filter((s) => s !== '');
  const trail: Node[] = [
    link(['secrets'], 'Secrets'),
    document.createTextNode(' / '),
    link(['list', mount], mount),
  ];
  let prefix = '';
  parts.forEach((part, i) => {
    const last = i === parts.length - 1 && !path.endsWith('/');
    prefix += `${part}/`;
    trail.push(document.createTextNode(' / '));
    trail.push(last ? el('span', {}, part) : link(['list', mount, prefix], part));
  });
  return el('h1', { class: 'crumbs' }, ...trail);
}
