/**
 * A stand-in for the Kubernetes TokenReview API, for tests: HTTPS with a self-signed certificate
 * made by the `openssl` CLI, answering from a table of known service account tokens.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SignJWT } from 'jose';
import { createSigningKey, type SigningKey } from '../jwt/testing.js';

const run = promisify(execFile);

export interface TestCertificate {
  certPem: string;
  keyPem: string;
}

/** A self-signed certificate for 127.0.0.1 (and localhost), valid for a day. */
export async function makeCertificate(): Promise<TestCertificate> {
  const dir = await mkdtemp(join(tmpdir(), 'coffer-cert-'));
  try {
    const [key, cert] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ]);
    return { certPem: await readFile(cert, 'utf8'), keyPem: await readFile(key, 'utf8') };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface ServiceAccountIdentity {
  namespace: string;
  name: string;
  uid: string;
}

/** How the stand-in answers: review the token, or simulate a broken API server. */
export type ReviewMode = 'review' | 'error500' | 'hang' | 'unauthorized401' | 'foreignAudience';

export interface RecordedReview {
  path: string;
  authorization: string;
  body: unknown;
}

export interface IssueOptions {
  projected?: boolean;
  audience?: string;
  /** The account the stand-in reports for this token (default: the one it claims). */
  reviewedAs?: ServiceAccountIdentity;
}

export interface TokenReviewServer {
  url: string;
  caPem: string;
  /** Signs service account JWTs (ES256); its public key can serve as `pem_keys`. */
  signer: SigningKey;
  /** Mints a service account JWT the stand-in will authenticate. */
  issueToken(account: ServiceAccountIdentity, options?: IssueOptions): Promise<string>;
  /** Mints a well-formed JWT the stand-in answers `authenticated: false` for. */
  issueUnknownToken(account: ServiceAccountIdentity): Promise<string>;
  setMode(mode: ReviewMode): void;
  /** Holds every answer this long, as a slow API server. */
  setDelay(ms: number): void;
  reviews: RecordedReview[];
  close(): Promise<void>;
}

function claimsFor(account: ServiceAccountIdentity, options: { projected?: boolean; audience?: string }) {
  const now = Math.floor(Date.now() / 1000);
  const common = {
    iss: 'kubernetes/serviceaccount',
    sub: `system:serviceaccount:${account.namespace}:${account.name}`,
  };
  if (options.projected) {
    return {
      ...common,
      aud: [options.audience ?? 'https://kubernetes.default.svc'],
      iat: now,
      nbf: now,
      exp: now + 3600,
      'kubernetes.io': {
        namespace: account.namespace,
        serviceaccount: { name: account.name, uid: account.uid },
      },
    };
  }
  return {
    ...common,
    'kubernetes.io/serviceaccount/namespace': account.namespace,
    'kubernetes.io/serviceaccount/secret.name': `${account.name}-token-abcde`,
    'kubernetes.io/serviceaccount/service-account.name': account.name,
    'kubernetes.io/serviceaccount/service-account.uid': account.uid,
  };
}

export async function startTokenReviewServer(): Promise<TokenReviewServer> {
  const { certPem, keyPem } = await makeCertificate();
  const signer = await createSigningKey('sa-signer', 'ES256');
  const known = new Map<string, ServiceAccountIdentity>();
  const reviews: RecordedReview[] = [];
  let mode: ReviewMode = 'review';
  let delayMs = 0;
  const server: Server = createServer({ cert: certPem, key: keyPem }, (req, res) => {
    let raw = '';
    req.on('data', (chunk) => {
      raw += chunk;
    });
    req.on('end', () => {
      const body = raw ? JSON.parse(raw) : undefined;
      reviews.push({ path: req.url ?? '', authorization: req.headers.authorization ?? '', body });
      if (mode === 'hang') return; // never answers; the client's deadline must end the wait
      const send = (status: number, payload: unknown) =>
        setTimeout(() => {
          res.writeHead(status, { 'Content-Type': 'application/json', Connection: 'close' });
          res.end(JSON.stringify(payload));
        }, delayMs);
      if (mode === 'error500') return send(500, { kind: 'Status', status: 'Failure', code: 500 });
      if (mode === 'unauthorized401') return send(401, { kind: 'Status', status: 'Failure', code: 401 });
      if (req.method !== 'POST' || req.url !== '/apis/authentication.k8s.io/v1/tokenreviews') {
        return send(404, { kind: 'Status', status: 'Failure', code: 404 });
      }
      const account = known.get(body?.spec?.token);
      const status = account
        ? {
            authenticated: true,
            user: {
              username: `system:serviceaccount:${account.namespace}:${account.name}`,
              uid: account.uid,
            },
            // foreignAudience: the API server says the token is for another audience than the one asked.
            audiences: mode === 'foreignAudience' ? ['someone-else'] : body.spec.audiences,
          }
        : { authenticated: false, error: 'token lookup failed' };
      send(201, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', status });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const sign = (account: ServiceAccountIdentity, options: { projected?: boolean; audience?: string }) =>
    new SignJWT(claimsFor(account, options))
      .setProtectedHeader({ alg: signer.alg, kid: signer.kid })
      .sign(signer.privateKey);
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    caPem: certPem,
    signer,
    async issueToken(account, options = {}) {
      const token = await sign(account, options);
      known.set(token, options.reviewedAs ?? account);
      return token;
    },
    issueUnknownToken: (account) => sign(account, {}),
    setMode(next) {
      mode = next;
    },
    setDelay(ms) {
      delayMs = ms;
    },
    reviews,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
