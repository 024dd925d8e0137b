/**
 * The page: a header, a message area and the current view, routed on the URL fragment (`#/secrets`).
 * A view is rendered from a fresh API call every time it is shown; nothing read is cached, so the
 * back button after sign-out finds no data, only a new request under the new token.
 */
import { ApiError, api } from './api.js';
import { el, link, routeHref } from './dom.js';
import { currentToken, forgetSession, signInMethod } from './session.js';
import { engineList } from './views/engines.js';
import { kvEdit } from './views/kv-edit.js';
import { kvList } from './views/kv-list.js';
import { kvSecret } from './views/kv-secret.js';
import { policyEdit, policyList, policyShow } from './views/policies.js';
import { signIn } from './views/sign-in.js';
import { tokenPanel } from './views/token.js';
import type { View, ViewContext } from './views/view.js';

const main = document.getElementById('main')!;
const nav = document.getElementById('nav')!;
const notice = document.getElementById('notice')!;
/** Bumped on every render and on sign-out: a slow response for an older view is dropped. */
let generation = 0;
/** A message that outlives the next render (why the user was signed out). */
let carriedNotice: string | undefined;

const routes: Record<string, View> = {
  'sign-in': signIn,
  secrets: engineList,
  list: kvList,
  show: kvSecret,
  edit: kvEdit,
  create: kvEdit,
  policies: policyList,
  policy: policyShow,
  'policy-edit': policyEdit,
  'policy-new': policyEdit,
  token: tokenPanel,
};

function parseRoute(): { name: string; params: string[] } {
  const segments = location.hash.replace(/^#\/?/, '').split('/');
  const params = segments.slice(1).map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return '';
    }
  });
  return { name: segments[0] ?? '', params };
}

export function navigate(segments: string[]): void {
  location.hash = routeHref(segments);
}

function showNotice(message: string, kind: 'error' | 'info' = 'error'): void {
  notice.replaceChildren(el('p', { class: kind, 'data-testid': 'notice' }, message));
}

function renderNav(): void {
  if (!currentToken()) {
    nav.replaceChildren();
    return;
  }
  nav.replaceChildren(
    link(['secrets'], 'Secrets'),
    link(['policies'], 'Policies'),
    link(['token'], 'Token'),
    el('button', { type: 'button', class: 'link', onclick: () => void signOut() }, 'Sign out'),
  );
}

/** Signing out revokes a token the UI logged in for, then wipes storage, the page and its history entry. */
export async function signOut(message?: string): Promise<void> {
  generation++;
  const token = currentToken();
  const loggedIn = signInMethod() !== 'token';
  forgetSession();
  main.replaceChildren();
  notice.replaceChildren();
  if (token && loggedIn) await api('POST', 'auth/token/revoke-self', { token }).catch(() => undefined);
  carriedNotice = message;
  if (location.hash === '#/sign-in') await render();
  else location.replace('#/sign-in');
}

/**
 * A 403 may mean the token itself is gone (expired, revoked): then the session ends. The probe is
 * sys/internal/ui/mounts, which any valid token may read (whatever its policies) and which refuses
 * only a token that is not valid.
 */
async function handleError(error: unknown, view: number): Promise<void> {
  if (error instanceof ApiError && error.status === 403 && currentToken()) {
    if (!(await tokenIsValid())) {
      await signOut('Your session has ended. Sign in again.');
      return;
    }
  }
  if (view !== generation) return;
  showNotice(messageOf(error));
}

function tokenIsValid(): Promise<boolean> {
  return api('GET', 'sys/internal/ui/mounts').then(
    () => true,
    (e: unknown) => !(e instanceof ApiError && e.status === 403),
  );
}

export function messageOf(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.errors.length > 0) return error.errors.join('\n');
    if (error.status === 404) return 'Not found.';
    return `Request failed (${error.status}).`;
  }
  return error instanceof Error ? error.message : String(error);
}

async function render(): Promise<void> {
  const view = ++generation;
  const route = parseRoute();
  notice.replaceChildren();
  main.replaceChildren(el('p', { class: 'muted' }, 'Loading…'));
  renderNav();
  if (!currentToken() && route.name !== 'sign-in') {
    location.replace('#/sign-in');
    return;
  }
  const handler = routes[route.name];
  if (!handler) {
    location.replace(currentToken() ? '#/secrets' : '#/sign-in');
    return;
  }
  if (carriedNotice) showNotice(carriedNotice, 'info');
  carriedNotice = undefined;
  const context: ViewContext = {
    route: route.name,
    params: route.params,
    navigate,
    notify: (message) => showNotice(message, 'info'),
    fail: (error) => void handleError(error, view),
    stale: () => view !== generation,
    refresh: () => void render(),
    signedIn: () => {
      renderNav();
      navigate(['secrets']);
    },
  };
  try {
    const node = await handler(context);
    if (view === generation) main.replaceChildren(node);
  } catch (error) {
    if (view !== generation) return;
    main.replaceChildren();
    await handleError(error, view);
  }
}

window.addEventListener('hashchange', () => void render());
// A page restored from the back-forward cache shows nothing it rendered before: it renders anew.
window.addEventListener('pageshow', (event) => {
  if (event.persisted) void render();
});
void render();
