/** Sign in with a token, or with userpass or LDAP on a mount path of the user's choice. */
import { api, apiPath } from '../api.js';
import { el, field } from '../dom.js';
import { currentToken, keepToken, type SignInMethod } from '../session.js';
import type { ViewContext } from './view.js';

const DEFAULT_MOUNTS: Record<Exclude<SignInMethod, 'token'>, string> = { userpass: 'userpass', ldap: 'ldap' };

export async function signIn(context: ViewContext): Promise<Node> {
  if (currentToken()) {
    context.navigate(['secrets']);
    return el('p', { class: 'muted' }, 'Signed in.');
  }
  const method = el(
    'select',
    { id: 'method', name: 'method', 'aria-label': 'Method' },
    el('option', { value: 'token' }, 'Token'),
    el('option', { value: 'userpass' }, 'Username & password'),
    el('option', { value: 'ldap' }, 'LDAP'),
  );
  // A token is not a password: new-password stops Chrome filling in the userpass password saved on this
  // origin (it ignores autocomplete=off on a password field). The userpass/LDAP password is a sign-in
  // password, so a password manager may fill it (current-password), as Vault's own UI does.
  const token = el('input', { id: 'token', type: 'password', name: 'token', autocomplete: 'new-password' });
  const mount = el('input', { id: 'mount', name: 'mount', value: 'userpass', autocomplete: 'off' });
  const username = el('input', { id: 'username', name: 'username', autocomplete: 'username' });
  const password = el('input', {
    id: 'password',
    type: 'password',
    name: 'password',
    autocomplete: 'current-password',
  });
  const tokenFields = el('div', {}, field('Token', 'token', token));
  const loginFields = el(
    'div',
    {},
    field('Mount path', 'mount', mount),
    field('Username', 'username', username),
    field('Password', 'password', password),
  );
  const showFields = () => {
    const chosen = method.value as SignInMethod;
    tokenFields.hidden = chosen !== 'token';
    loginFields.hidden = chosen === 'token';
    if (chosen !== 'token') mount.value = DEFAULT_MOUNTS[chosen];
  };
  method.addEventListener('change', showFields);
  showFields();
  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    const chosen = method.value as SignInMethod;
    try {
      if (chosen === 'token') {
        // Checked before it is kept, so a mistyped token never becomes the session. The probe works for
        // a valid token whatever its policies (lookup-self needs the default policy).
        await api('GET', 'sys/internal/ui/mounts', { token: token.value.trim() });
        keepToken(token.value.trim(), 'token');
      } else {
        const path = apiPath('auth', mount.value.trim() || DEFAULT_MOUNTS[chosen], 'login', username.value);
        const body = await api('POST', path, { body: { password: password.value } });
        keepToken(String(body.auth.client_token), chosen);
      }
      token.value = '';
      password.value = '';
      context.signedIn();
    } catch (error) {
      password.value = '';
      context.fail(error);
    }
  };
  return el(
    'form',
    { class: 'card narrow', onsubmit: (event) => void submit(event) },
    el('h1', {}, 'Sign in to Coffer'),
    field('Method', 'method', method),
    tokenFields,
    loginFields,
    el('button', { type: 'submit', class: 'primary' }, 'Sign in'),
  );
}
