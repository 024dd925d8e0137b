/** The secrets engines the caller can see (sys/internal/ui/mounts), KV ones linked for browsing. */
import { api } from '../api.js';
import { el, link } from '../dom.js';
import { kvVersion } from '../kv.js';

export async function engineList(): Promise<Node> {
  const body = await api('GET', 'sys/internal/ui/mounts');
  const mounts = Object.entries((body?.data?.secret ?? {}) as Record<string, Record<string, unknown>>).sort(
    ([a], [b]) => a.localeCompare(b),
  );
  const rows = mounts.map(([path, mount]) => {
    const version = kvVersion(mount);
    const name = path.replace(/\/$/, '');
    return el(
      'tr',
      {},
      el('td', {}, version ? link(['list', name], path) : path),
      el('td', {}, version ? `kv v${version}` : String(mount.type ?? '')),
      el('td', {}, String(mount.description ?? '')),
    );
  });
  return el(
    'section',
    {},
    el('h1', {}, 'Secrets engines'),
    rows.length === 0
      ? el('p', { class: 'muted' }, 'No secrets engines visible to this token.')
      : el(
          'table',
          {},
          el(
            'thead',
            {},
            el('tr', {}, el('th', {}, 'Path'), el('th', {}, 'Type'), el('th', {}, 'Description')),
          ),
          el('tbody', {}, ...rows),
        ),
  );
}
