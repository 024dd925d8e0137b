/**
 * The agent's current auto-auth token, as the parts that use it see it (templates, exec, the API
 * proxy). Auto-auth owns the token; everything else reads it here and never keeps its own copy, so
 * a re-authentication reaches every user of the token at once.
 */
export interface TokenSource {
  /** The token to send now, or undefined before the first login succeeds. */
  current(): string | undefined;
  /** Called with each new token after a (re-)authentication; returns the unsubscribe function. */
  subscribe(listener: (token: string) => void): () => void;
}

/** A TokenSource whose token never changes: `-token`-style use, and tests. */
export function staticTokenSource(token: string): TokenSource {
  return { current: () => token, subscribe: () => () => {} };
}
