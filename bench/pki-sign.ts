/**
 * The `pki-sign` baseline, run as its own process pinned to the server's core: raw EC P-256 key
 * generations plus certificate signatures per second, with the library and key calls the pki engine
 * uses (async generateKeyPair on the thread pool, @peculiar/x509 over WebCrypto, a P-256 CA key),
 * four in flight, no HTTP and no storage. Prints `PKI <rate>`. Usage: `node --import tsx bench/pki-sign.ts SECONDS`.
 */
import 'reflect-metadata';
import { generateKeyPair, webcrypto } from 'node:crypto';
import { promisify } from 'node:util';
import * as x509 from '@peculiar/x509';

const seconds = Number(process.argv[2] ?? 3);
const threads = 4;
const generate = promisify(generateKeyPair);
const subtle = webcrypto.subtle;
const algorithm = { name: 'ECDSA', hash: 'SHA-256' };
const caPair = await generate('ec', { namedCurve: 'P-256' });
const caKey = await subtle.importKey(
  'pkcs8',
  caPair.privateKey.export({ type: 'pkcs8', format: 'der' }),
  { name: 'ECDSA', namedCurve: 'P-256' },
  false,
  ['sign'],
);
const crypto = webcrypto as unknown as Crypto;

async function issueOne(): Promise<void> {
  const leaf = await generate('ec', { namedCurve: 'P-256' });
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: '4a'.padEnd(40, '1'),
      subject: [{ CN: ['bench.example.com'] }],
      issuer: [{ CN: ['Bench Root'] }],
      notBefore: new Date(),
      notAfter: new Date(Date.now() + 3600_000),
      publicKey: leaf.publicKey.export({ type: 'spki', format: 'der' }),
      signingKey: caKey as CryptoKey,
      signingAlgorithm: algorithm,
      extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'bench.example.com' }])],
    },
    crypto,
  );
  // The engine also returns the key and certificate as PEM.
  leaf.privateKey.export({ type: 'sec1', format: 'pem' });
  cert.toString('pem');
}

await issueOne(); // warm-up
let count = 0;
const end = performance.now() + seconds * 1000;
const worker = async () => {
  while (performance.now() < end) {
    await issueOne();
    count++;
  }
};
const started = performance.now();
await Promise.all(Array.from({ length: threads }, worker));
process.stdout.write(`PKI ${count / ((performance.now() - started) / 1000)}\n`);
