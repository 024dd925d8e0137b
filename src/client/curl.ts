/** `-output-curl-string`: the curl command equivalent to a request, with the token replaced by a lookup. */
import type { TlsOptions } from './transport.js';

const quote = (text: string) => `'${text.replaceAll("'", `'"'"'`)}'`;

export function curlString(
  method: string,
  url: URL,
  headers: Record<string, string>,
  body: string | undefined,
  tls: TlsOptions,
): string {
  let out = 'curl ';
  if (tls.tlsSkipVerify) out += '--insecure ';
  if (method !== 'GET') out += `-X ${method} `;
  if (typeof tls.caCert === 'string' && !tls.caCert.includes('-----BEGIN'))
    out += `--cacert ${quote(tls.caCert)} `;
  if (tls.caPath) out += `--capath ${quote(tls.caPath)} `;
  if (tls.clientCert) out += `--cert ${quote(tls.clientCert)} `;
  if (tls.clientKey) out += `--key ${quote(tls.clientKey)} `;
  for (const [name, value] of Object.entries(headers)) {
    // Never print the token itself: the command fetches it when it runs.
    const shown = name.toLowerCase() === 'x-vault-token' ? '$(vault print token)' : value;
    out += `-H "${name}: ${shown}" `;
  }
  if (body) out += `-d ${quote(body)} `;
  return out + url.toString();
}
