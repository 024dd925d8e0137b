/**
 * Create a KV secret or write a new version: key/value rows. On v2 every write carries check-and-set
 * (0 for a new secret, the version that was read for an edit), so two editors never overwrite each
 * other silently.
 */
import { api } from '../api.js';
import { el, field } from '../dom.js';
import { dataPath, mountVersion } from '../kv.js';
import { breadcrumbs } from './kv-list.js';
import type { ViewContext } from './view.js';

export async function kvEdit(context: ViewContext): Promise<Node> {
  const [mount = '', param = ''] = context.params;
  const creating = context.route === 'create';
  const kv = await mountVersion(mount);
  let data: Record<string, unknown> = {};
  let cas = 0;
  if (!creating) {
    const body = await api('GET', dataPath(kv, mount, param), { acceptNotFound: kv === 2 });
    data = (kv === 2 ? body?.data?.data : body?.data) ?? {};
    cas = Number(body?.data?.metadata?.version ?? 0);
  }
  const pathInput = el('input', {
    id: 'path',
    name: 'path',
    value: param,
    autocomplete: 'off',
  });
  pathInput.readOnly = !creating;
  const rows = el('div', { class: 'kv-rows', 'data-testid': 'kv-rows' });
  const addRow = (key = '', value = '') => rows.append(kvRow(key, value));
  for (const [key, value] of Object.entries(data))
    addRow(key, typeof value === 'string' ? value : JSON.stringify(value));
  if (rows.childElementCount === 0) addRow();
  const showValues = el('input', { type: 'checkbox', id: 'show-values' });
  showValues.addEventListener('change', () => {
    for (const input of rows.querySelectorAll<HTMLInputElement>('input.kv-value'))
      input.type = showValues.checked ? 'text' : 'password';
  });
  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    const path = pathInput.value.trim().replace(/^\/+/, '');
    if (path === '' || path.endsWith('/'))
      return context.fail(new Error('Give the secret a name (not ending in /).'));
    const values: Record<string, string> = {};
    for (const row of rows.querySelectorAll<HTMLElement>('.kv-row')) {
      const key = row.querySelector<HTMLInputElement>('input.kv-key')!.value.trim();
      if (key !== '') values[key] = row.querySelector<HTMLInputElement>('input.kv-value')!.value;
    }
    const body = kv === 2 ? { data: values, options: { cas } } : values;
    try {
      await api('POST', dataPath(kv, mount, path), { body });
      if (!context.stale()) context.navigate(['show', mount, path]);
    } catch (error) {
      context.fail(error);
    }
  };
  return el(
    'form',
    { class: 'card', onsubmit: (event) => void submit(event) },
    breadcrumbs(mount, param),
    el(
      'h2',
      {},
      creating ? 'Create secret' : kv === 2 ? `New version (after version ${cas})` : 'Edit secret',
    ),
    field('Path', 'path', pathInput),
    rows,
    el(
      'div',
      { class: 'actions' },
      el('button', { type: 'button', onclick: () => addRow() }, 'Add row'),
      el('label', { class: 'inline' }, showValues, ' Show values'),
    ),
    el('button', { type: 'submit', class: 'primary' }, 'Save'),
  );
}

function kvRow(key: string, value: string): HTMLElement {
  const row = el(
    'div',
    { class: 'kv-row' },
    el('input', {
      class: 'kv-key',
      value: key,
      placeholder: 'key',
      'aria-label': 'Key',
      autocomplete: 'off',
    }),
    el('input', {
      class: 'kv-value',
      type: 'password',
      value,
      placeholder: 'value',
      'aria-label': 'Value',
      // Chrome ignores autocomplete=off on a password field and fills in a saved password;
      // new-password keeps saved passwords out of a secret's value.
      autocomplete: 'new-password',
    }),
  );
  row.append(el('button', { type: 'button', class: 'small', onclick: () => row.remove() }, 'Remove'));
  return row;
}
