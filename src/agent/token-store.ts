/** The auto-auth token as a TokenSource: auto-auth sets it, templates, exec and the proxy read it. */
import type { TokenSource } from './token-source.js';

export class AutoAuthTokens implements TokenSource {
  private token: string | undefined;
  private readonly listeners = new Set<(token: string) => void>();

  current(): string | undefined {
    return this.token;
  }

  subscribe(listener: (token: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Publishes a new token; a listener that throws does not keep the others from hearing of it. The
   * same token again (`token_file` read once more after a re-authentication) is no news: as Vault's
   * template server, the templates then keep their secrets rather than fetch (and re-issue) them all.
   */
  publish(token: string): void {
    if (token === this.token) return;
    this.token = token;
    for (const listener of [...this.listeners]) {
      try {
        listener(token);
      } catch {
        // A reader's failure is its own; the token is still current for everyone else.
      }
    }
  }
}
