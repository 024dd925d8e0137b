/**
 * The detection rules: a gitleaks-style table (id, description, regex, keyword prefilter, entropy floor).
 *
 * Why a table of our own rather than secretlint: its maintained line (13.x) requires Node 22 while Coffer
 * runs on Node 20; its engine lints whole-file strings and reports messages rather than the matched value,
 * which streaming, redaction and fingerprints need; and Coffer's own token formats would need rules of
 * our own anyway.
 */

export type Severity = 'high' | 'medium' | 'low';

export interface Rule {
  id: string;
  description: string;
  /** Global regex; the secret is the `secret` named group, else the whole match. */
  pattern: RegExp;
  /** Lower-case words of which the line must contain one before the regex runs (a cheap prefilter). */
  keywords?: string[];
  /** Bits per character the secret must reach; weeds out placeholders such as `changeme`. */
  minEntropy?: number;
  /** Matched secrets that are documented examples or placeholders, not secrets. */
  allow?: RegExp;
  /** Only in files whose path matches: configuration formats, where values go unquoted. */
  files?: RegExp;
  /** A last check of the matched secret (its decoded form, say); false drops the match. */
  verify?: (secret: string) => boolean;
  severity: Severity;
}

/**
 * Values the loose rules (generic assignments, .env lines, URLs) take for placeholders, not secrets:
 * references (`${DB_PASS}`, `$TOKEN`, `<password>`, `{{ vault }}`), masks (`****`, `xxxx`) and
 * words a real secret would not contain (`changeme`, `example`, `canary`, `password` itself).
 */
const PLACEHOLDER =
  /^[$%<[*]|\$\{|\{\{|x{4}|\*{3}|\.{3}|^pass$|example|sample|dummy|fake|placeholder|changeme|redacted|canary|password|passwd|secret/i;

/** Assignment operators of code, YAML, JSON and shells: `=`, `:`, `:=`, `=>`, `==` is excluded below. */
const ASSIGN = String.raw`["'\x60]?\s*(?::=|=>|=(?!=)|:)\s*`;

/** The generic rules also pass over values of letters only: identifiers and words (`withCredentials`). */
const WORD_OR_PLACEHOLDER = new RegExp(`${PLACEHOLDER.source}|^[A-Za-z]+$`, 'i');

/** `token_name`, `secret_path`, `password_file`: names whose value names a secret rather than holding it. */
const NOT_A_VALUE_NAME = '(?<![_.-](?:name|id|path|file|type|url|ref|header|field))';

/**
 * The rest of a variable name around a keyword, bounded: an unbounded `[\w.-]*` after a keyword is
 * tried from every keyword on the line to its end, quadratic (seconds) on a long minified line.
 */
const NAME = String.raw`[\w.-]{0,64}`;

/**
 * Docker's `auth` is base64 of `user:password`. Anything else (an empty string, a word, base64 of a
 * name without a colon, a reference as password) is not reported.
 */
export function isBasicAuthPair(secret: string): boolean {
  const bytes = Buffer.from(secret, 'base64');
  if (bytes.toString('base64').replace(/=+$/, '') !== secret.replace(/=+$/, '')) return false;
  const text = bytes.toString('utf8');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: binary is not a user:password pair
  if (text.includes('\uFFFD') || /[\u0000-\u001f\u007f]/.test(text)) return false;
  const colon = text.indexOf(':');
  if (colon < 1) return false;
  const password = text.slice(colon + 1);
  return password.length > 0 && !PLACEHOLDER.test(password);
}

export const RULES: Rule[] = [
  {
    id: 'coffer-service-token',
    description: 'Coffer/Vault service token',
    pattern: /\b(?<secret>hvs\.[A-Za-z0-9_-]{24,})/g,
    keywords: ['hvs.'],
    severity: 'high',
  },
  {
    id: 'coffer-batch-token',
    description: 'Coffer/Vault batch token',
    pattern: /\b(?<secret>hvb\.[A-Za-z0-9_-]{24,})/g,
    keywords: ['hvb.'],
    severity: 'high',
  },
  {
    id: 'coffer-recovery-token',
    description: 'Coffer/Vault recovery token',
    pattern: /\b(?<secret>hvr\.[A-Za-z0-9_-]{24,})/g,
    keywords: ['hvr.'],
    severity: 'high',
  },
  {
    // `s.` plus 24 characters is too common a shape to report alone: only next to a Vault/token name.
    id: 'vault-legacy-token',
    description: 'Vault legacy service token (s.)',
    pattern: new RegExp(
      String.raw`(?:vault|token)${NAME}${ASSIGN}["'\x60]?(?<secret>s\.[A-Za-z0-9]{24})(?![A-Za-z0-9])`,
      'gi',
    ),
    keywords: ['vault', 'token'],
    severity: 'high',
  },
  {
    id: 'coffer-unseal-key',
    description: 'Coffer/Vault unseal or recovery key share',
    pattern:
      /(?:(?:unseal|recovery) key \d+:\s*|operator unseal\s+(?:-\S+\s+)*|"(?:unseal|recovery)_keys(?:_b64|_hex)?"\s*:\s*\[\s*")(?<secret>[A-Za-z0-9+/]{42,88}={0,2}|[0-9a-fA-F]{64,130})(?![A-Za-z0-9+/=])/gi,
    keywords: ['unseal', 'recovery'],
    severity: 'high',
  },
  {
    id: 'aws-access-key-id',
    description: 'AWS access key ID',
    pattern: /\b(?<secret>(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z2-7]{16})\b/g,
    allow: /EXAMPLE/,
    severity: 'high',
  },
  {
    id: 'aws-secret-access-key',
    description: 'AWS secret access key',
    pattern: new RegExp(
      String.raw`(?:aws)?_?secret_?access_?key${ASSIGN}["'\x60]?(?<secret>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])`,
      'gi',
    ),
    keywords: ['secret'],
    minEntropy: 3.5,
    allow: /EXAMPLE/,
    severity: 'high',
  },
  {
    id: 'github-token',
    description: 'GitHub token (personal, OAuth, app or refresh)',
    pattern: /\b(?<secret>gh[pousr]_[A-Za-z0-9]{36})(?![A-Za-z0-9])/g,
    keywords: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_'],
    severity: 'high',
  },
  {
    id: 'github-fine-grained-token',
    description: 'GitHub fine-grained personal access token',
    pattern: /\b(?<secret>github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})(?![A-Za-z0-9])/g,
    keywords: ['github_pat_'],
    severity: 'high',
  },
  {
    id: 'gitlab-token',
    description: 'GitLab personal access token',
    // 20 characters, or a routable token (GitLab 17): a longer payload, `.01.` and a CRC in base 36.
    pattern: /\b(?<secret>glpat-[A-Za-z0-9_-]{20,320}(?:\.[0-9a-z]{2}\.?[0-9a-z]{6,10})?)(?![A-Za-z0-9_-])/g,
    keywords: ['glpat-'],
    severity: 'high',
  },
  {
    id: 'slack-token',
    description: 'Slack token',
    pattern: /\b(?<secret>xox[abprs]-[0-9]{6,}-[A-Za-z0-9-]{8,})/g,
    keywords: ['xox'],
    severity: 'high',
  },
  {
    id: 'slack-webhook',
    description: 'Slack incoming webhook URL',
    pattern: /(?<secret>https:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9_/+-]{30,})/g,
    keywords: ['hooks.slack.com'],
    severity: 'high',
  },
  {
    id: 'stripe-key',
    description: 'Stripe live secret or restricted key',
    pattern: /\b(?<secret>[sr]k_live_[A-Za-z0-9]{20,})/g,
    keywords: ['k_live_'],
    severity: 'high',
  },
  {
    id: 'google-api-key',
    description: 'Google API key',
    pattern: /\b(?<secret>AIza[0-9A-Za-z_-]{35})(?![0-9A-Za-z_-])/g,
    keywords: ['aiza'],
    severity: 'high',
  },
  {
    id: 'npm-token',
    description: 'npm access token',
    pattern: /\b(?<secret>npm_[A-Za-z0-9]{36})(?![A-Za-z0-9])/g,
    keywords: ['npm_'],
    severity: 'high',
  },
  {
    id: 'npmrc-auth-token',
    description: 'npm registry auth token in .npmrc',
    pattern: /_authToken\s*=\s*(?<secret>[^\s$"'{]{10,})/g,
    keywords: ['_authtoken'],
    minEntropy: 3,
    severity: 'high',
  },
  {
    // ~/.docker/config.json: `"auths": { "registry": { "auth": "<base64 user:password>" } }`.
    id: 'docker-config-auth',
    description: 'Registry credentials in a Docker config.json (auth: base64 of user:password)',
    pattern: /"auth"\s*:\s*"(?<secret>[A-Za-z0-9+/]{4,}={0,2})"/g,
    keywords: ['"auth"'],
    verify: isBasicAuthPair,
    severity: 'high',
  },
  {
    // `machine host login user password secret`, on one line or with each pair on a line of its own.
    id: 'netrc-password',
    description: 'Password in a .netrc file',
    pattern: /(?:^|\s)password\s+(?<secret>[^\s"']+)/g,
    keywords: ['password'],
    minEntropy: 3,
    allow: PLACEHOLDER,
    files: /(?:^|[\\/])[._]netrc$/,
    severity: 'high',
  },
  {
    id: 'jwt',
    description: 'JSON Web Token',
    pattern: /\b(?<secret>eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,})/g,
    keywords: ['eyj'],
    severity: 'medium',
  },
  {
    id: 'connection-url-password',
    description: 'Connection URL with an embedded password',
    pattern:
      /\b(?:postgres(?:ql)?|mysql|mariadb|rediss?|amqps?|mongodb(?:\+srv)?):\/\/[^:/\s"'@]*:(?<secret>[^@/\s"'`]{3,})@/gi,
    keywords: ['://'],
    allow: PLACEHOLDER,
    severity: 'high',
  },
  {
    // `.env` and shell `export`, Dockerfile `ENV`/`ARG`, and CI YAML (`env:` / `variables:` maps, `- NAME=v`).
    id: 'dotenv-secret',
    description: 'Secret in an environment variable (.env, Dockerfile, CI file)',
    pattern:
      /^\s*(?:-\s+)?(?:export\s+|ENV\s+|ARG\s+)?[A-Z0-9_]{0,64}(?:SECRET|PASSWORD|PASSWD|_PASS|_PWD|TOKEN|API_KEY|APIKEY|PRIVATE_KEY|ACCESS_KEY|CREDENTIALS?)[A-Z0-9_]{0,64}(?:\s*=|:)\s*(?<q>["']?)(?<secret>[^\s"'#$]{6,})\k<q>\s*(?:#.*)?$/g,
    keywords: ['secret', 'pass', '_pwd', 'token', 'key', 'credential'],
    minEntropy: 3,
    allow: PLACEHOLDER,
    severity: 'medium',
  },
  {
    // Unquoted values are normal in these formats; in code `password: string` is a type, hence `files`.
    id: 'config-secret',
    description: 'Secret in a configuration file (YAML, properties, INI, TOML)',
    pattern: new RegExp(
      String.raw`^\s*(?:-\s+)?${NAME}(?:password|passwd|pwd|secret|token|api_?key|apikey|access_?key|credential)${NAME}${NOT_A_VALUE_NAME}\s*[:=]\s*(?<secret>[^\s"'\x60#{}$|>&*!][^\s#]{7,199})\s*(?:#.*)?$`,
      'gi',
    ),
    keywords: ['pass', 'pwd', 'secret', 'token', 'key', 'credential'],
    minEntropy: 3.5,
    allow: WORD_OR_PLACEHOLDER,
    files: /\.(?:ya?ml|properties|ini|toml|conf|cfg)$/i,
    severity: 'medium',
  },
  {
    id: 'generic-secret',
    description: 'Hard-coded password, secret, token or API key',
    pattern: new RegExp(
      String.raw`(?:password|passwd|pwd|secret|token|api_?key|apikey|access_?key|credential)${NAME}${NOT_A_VALUE_NAME}${ASSIGN}(?<q>["'\x60])(?<secret>[^"'\x60\s]{8,200})\k<q>`,
      'gi',
    ),
    keywords: ['pass', 'pwd', 'secret', 'token', 'key', 'credential'],
    minEntropy: 3.5,
    allow: WORD_OR_PLACEHOLDER,
    severity: 'medium',
  },
];
