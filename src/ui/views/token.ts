/** The signed-in token (lookup-self): who it is, its policies and TTL, and a renew button. */
import { api } from '../api.js';
import { el } from '../dom.js';
import type { ViewContext } from './view.js';

export async function tokenPanel(context: ViewContext): Promise<Node> {
  const body = await api('GET', 'auth/token/lookup-self');
  const data = (body?.data ?? {}) as Record<string, unknown>;
  const policies = Array.isArray(data.policies) ? data.policies.map(String) : [];
  const ttl = Number(data.ttl ?? 0);
  const rows: [string, string][] = [
    ['Display name', String(data.display_name ?? '')],
    ['Policies', policies.join(', ')],
    ['TTL', ttl === 0 ? 'never expires' : formatSeconds(ttl)],
    ['Expires', String(data.expire_time ?? '—')],
    ['Renewable', data.renewable ? 'yes' : 'no'],
    ['Accessor', String(data.accessor ?? '')],
  ];
  const renew = async () => {
    try {
      await api('POST', 'auth/token/renew-self', { body: {} });
      if (!context.stale()) context.refresh();
    } catch (error) {
      context.fail(error);
    }
  };
  return el(
    'section',
    {},
    el('h1', {}, 'Token'),
    el(
      'table',
      { 'data-testid': 'token' },
      el('tbody', {}, ...rows.map(([k, v]) => el('tr', {}, el('th', {}, k), el('td', {}, v)))),
    ),
    data.renewable ? el('button', { type: 'button', onclick: () => void renew() }, 'Renew') : null,
  );
}

function formatSeconds(total: number): string {
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return [h && `${h}h`, m && `${m}m`, (s || (!h && !m)) && `${s}s`].filter(Boolean).join('');
}
