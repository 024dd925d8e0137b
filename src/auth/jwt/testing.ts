/**
 * A local identity provider for tests: serves a JWKS and an OIDC discovery document over HTTP from
 * keys made with jose, and signs tokens shaped like GitHub Actions OIDC tokens.
 */
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { base64url, exportJWK, exportSPKI, generateKeyPair, type JWK, SignJWT } from 'jose';

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

export interface SigningKey {
  kid: string;
  alg: string;
  privateKey: PrivateKey;
  publicJwk: JWK;
  publicPem: string;
}

export async function createSigningKey(kid: string, alg = 'RS256'): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, publicJwk, publicPem: await exportSPKI(publicKey) };
}

export async function signToken(
  key: SigningKey,
  claims: Record<string, unknown>,
  header: Record<string, unknown> = {},
): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT', ...header })
    .sign(key.privateKey);
}

/** `alg: none`, no signature. */
export function unsignedToken(claims: Record<string, unknown>, kid?: string): string {
  const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT', ...(kid ? { kid } : {}) }));
  return `${header}.${base64url.encode(JSON.stringify(claims))}.`;
}

/** The classic confusion attack: HS256 with the RSA public key (PEM text) as the HMAC secret. */
export function hmacWithPublicKey(key: SigningKey, claims: Record<string, unknown>): string {
  const header = base64url.encode(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: key.kid }));
  const body = base64url.encode(JSON.stringify(claims));
  const signature = createHmac('sha256', key.publicPem).update(`${header}.${body}`).digest();
  return `${header}.${body}.${base64url.encode(signature)}`;
}

/** Claims of a GitHub Actions OIDC token for `org/repo` on main. */
export function githubActionsClaims(
  issuer: string,
  nowSeconds: number,
  overrides: Record<string, unknown> = {},
) {
  return {
    iss: issuer,
    aud: 'https://github.com/org',
    sub: 'repo:org/repo:ref:refs/heads/main',
    repository: 'org/repo',
    repository_owner: 'org',
    ref: 'refs/heads/main',
    workflow: 'deploy',
    actor: 'octocat',
    job_workflow_ref: 'org/repo/.github/workflows/deploy.yml@refs/heads/main',
    iat: nowSeconds,
    nbf: nowSeconds,
    exp: nowSeconds + 300,
    ...overrides,
  };
}

export interface TestIdentityProvider {
  /** The issuer and OIDC discovery URL. */
  issuer: string;
  jwksUrl: string;
  keys: SigningKey[];
  /** How many times the JWKS was served. */
  jwksFetches(): number;
  /** Publishes another key (a rotation). */
  addKey(key: SigningKey): void;
  /** Makes the JWKS endpoint answer 500 (or recover). */
  setFailing(failing: boolean): void;
  close(): Promise<void>;
}

export async function startIdentityProvider(initialKeys?: SigningKey[]): Promise<TestIdentityProvider> {
  const keys = initialKeys ?? [await createSigningKey('key-1')];
  let fetches = 0;
  let failing = false;
  let issuer = '';
  const server: Server = createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json', Connection: 'close' });
      res.end(JSON.stringify(body));
    };
    if (req.url === '/.well-known/openid-configuration') {
      send(200, { issuer, jwks_uri: `${issuer}/jwks`, id_token_signing_alg_values_supported: ['RS256'] });
    } else if (req.url === '/jwks') {
      fetches += 1;
      if (failing) send(500, { error: 'down' });
      else send(200, { keys: keys.map((k) => k.publicJwk) });
    } else {
      send(404, { error: 'not found' });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    jwksUrl: `${issuer}/jwks`,
    keys,
    jwksFetches: () => fetches,
    addKey: (key) => keys.push(key),
    setFailing: (value) => {
      failing = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
