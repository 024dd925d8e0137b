/**
 * One KV secret: its keys with values masked until revealed, copy buttons, and for v2 its versions,
 * a soft delete and undelete. A value is put into the page only when revealed, and only as text.
 */
import { ApiError, api, apiPath } from '../api.js';
import { el, link } from '../dom.js';
import { dataPath, type KvVersion, metadataPath, mountVersion } from '../kv.js';
import { breadcrumbs } from './kv-list.js';
import type { ViewContext } from './view.js';

export async function kvSecret(context: ViewContext): Promise<Node> {
  const [mount = '', path = '', versionParam = ''] = context.params;
  const kv = await mountVersion(mount);
  const query: Record<string, string> = versionParam ? { version: versionParam } : {};
  // v2 answers a deleted version with 404 and its metadata; a v1 404 is just "not found".
  const body = await api('GET', dataPath(kv, mount, path), { query, acceptNotFound: kv === 2 });
  if (body?.data === undefined) throw new Error('No secret at this path.');
  const data = (kv === 2 ? body?.data?.data : body?.data) as Record<string, unknown> | null;
  const meta = kv === 2 ? (body?.data?.metadata as Record<string, unknown> | null) : null;
  const parent = path.includes('/') ? path.slice(0, path.lastIndexOf('/') + 1) : '';
  const section = el(
    'section',
    {},
    breadcrumbs(mount, path),
    el(
      'div',
      { class: 'actions' },
      link(['edit', mount, path], kv === 2 ? 'Create new version' : 'Edit', { class: 'button' }),
      el(
        'button',
        { type: 'button', class: 'danger', onclick: () => void remove(context, kv, mount, path, parent) },
        'Delete',
      ),
    ),
  );
  if (meta?.deletion_time || data === null) {
    section.append(el('p', { class: 'muted', 'data-testid': 'deleted' }, 'This version has been deleted.'));
    if (meta && !meta.destroyed)
      section.append(
        el(
          'button',
          { type: 'button', onclick: () => void undelete(context, mount, path, Number(meta.version)) },
          'Undelete',
        ),
      );
  } else {
    section.append(valueTable(context, data ?? {}));
  }
  if (kv === 2) section.append(await versionList(mount, path, Number(meta?.version ?? 0)).catch(noVersions));
  return section;
}

function valueTable(context: ViewContext, data: Record<string, unknown>): HTMLElement {
  const rows = Object.keys(data)
    .sort()
    .map((key) => {
      const raw = data[key];
      const value = typeof raw === 'string' ? raw : JSON.stringify(raw);
      const shown = el('code', { class: 'value masked', 'data-testid': `value-${key}` }, '••••••••');
      let revealed = false;
      const reveal = el(
        'button',
        { type: 'button', class: 'small', 'aria-label': `Reveal ${key}` },
        'Reveal',
      );
      reveal.addEventListener('click', () => {
        revealed = !revealed;
        shown.textContent = revealed ? value : '••••••••';
        shown.classList.toggle('masked', !revealed);
        reveal.textContent = revealed ? 'Hide' : 'Reveal';
      });
      const copy = el('button', { type: 'button', class: 'small', 'aria-label': `Copy ${key}` }, 'Copy');
      copy.addEventListener('click', () => {
        navigator.clipboard.writeText(value).then(
          () => context.notify(`Copied ${key}.`),
          () => context.fail(new Error('The browser refused the clipboard (it needs HTTPS or localhost).')),
        );
      });
      return el(
        'tr',
        {},
        el('th', {}, key),
        el('td', {}, shown),
        el('td', { class: 'row-actions' }, reveal, copy),
      );
    });
  return el('table', { class: 'secret', 'data-testid': 'secret' }, el('tbody', {}, ...rows));
}

async function versionList(mount: string, path: string, shownVersion: number): Promise<Node> {
  const body = await api('GET', metadataPath(mount, path));
  const versions = (body?.data?.versions ?? {}) as Record<string, Record<string, unknown>>;
  const rows = Object.entries(versions)
    .sort(([a], [b]) => Number(b) - Number(a))
    .map(([number, info]) => {
      const state = info.destroyed ? 'destroyed' : info.deletion_time ? 'deleted' : '';
      return el(
        'tr',
        { class: Number(number) === shownVersion ? 'current' : undefined },
        el('td', {}, link(['show', mount, path, number], `Version ${number}`)),
        el('td', {}, String(info.created_time ?? '')),
        el('td', {}, state),
      );
    });
  return el(
    'section',
    { 'data-testid': 'versions' },
    el('h2', {}, `Versions (current: ${String(body?.data?.current_version ?? '')})`),
    el('table', {}, el('tbody', {}, ...rows)),
  );
}

/** A policy may allow reading data/ but not metadata/: the secret is still shown, without its history. */
function noVersions(error: unknown): Node {
  if (!(error instanceof ApiError && error.status === 403)) throw error;
  return el('p', { class: 'muted' }, 'Versions are not shown: this token cannot read the metadata.');
}

async function remove(context: ViewContext, kv: KvVersion, mount: string, path: string, parent: string) {
  const what =
    kv === 2 ? 'Delete the latest version of this secret? It can be undeleted.' : 'Delete this secret?';
  if (!window.confirm(what)) return;
  try {
    await api('DELETE', dataPath(kv, mount, path));
    if (context.stale()) return;
    if (kv === 2) context.refresh();
    else context.navigate(['list', mount, parent]);
  } catch (error) {
    context.fail(error);
  }
}

async function undelete(context: ViewContext, mount: string, path: string, version: number) {
  try {
    await api('POST', apiPath(mount, 'undelete', path), { body: { versions: [version] } });
    if (!context.stale()) context.refresh();
  } catch (error) {
    context.fail(error);
  }
}
