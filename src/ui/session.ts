/**
 * The signed-in token. It lives in sessionStorage only (gone with the tab, never in localStorage),
 * and signing out wipes it together with everything the page showed (CVE-2021-38554).
 */

const TOKEN_KEY = 'coffer.token';
const METHOD_KEY = 'coffer.method';

/** How the token was obtained: a login's token is revoked on sign-out, a pasted one is not. */
export type SignInMethod = 'token' | 'userpass' | 'ldap';

export function currentToken(): string | undefined {
  return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
}

export function signInMethod(): SignInMethod | undefined {
  return (sessionStorage.getItem(METHOD_KEY) as SignInMethod | null) ?? undefined;
}

export function keepToken(token: string, method: SignInMethod): void {
  sessionStorage.setItem(TOKEN_KEY, token);
  sessionStorage.setItem(METHOD_KEY, method);
}

/** Forgets the session: our keys and anything else a view may ever have put in either storage. */
export function forgetSession(): void {
  sessionStorage.clear();
  localStorage.clear();
}
