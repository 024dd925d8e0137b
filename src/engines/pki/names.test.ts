import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CofferError } from '../../core/errors.js';
import { canonicalIp, checkIpSans, type NameRules, nameAllowed } from './names.js';

const base: NameRules = {
  allowLocalhost: true,
  allowedDomains: ['example.com'],
  allowBareDomains: false,
  allowSubdomains: false,
  allowGlobDomains: false,
  allowWildcardCertificates: true,
  allowAnyName: false,
  enforceHostnames: true,
};

/** A case of allowed_domains holding one glob, with allow_glob_domains on. */
const glob = (name: string, pattern: string, value: string, allowed: boolean) => ({
  name,
  rules: { allowGlobDomains: true, allowedDomains: [pattern] },
  value,
  allowed,
});

const cases: { name: string; rules: Partial<NameRules>; value: string; allowed: boolean }[] = [
  { name: 'a subdomain without allow_subdomains', rules: {}, value: 'a.example.com', allowed: false },
  {
    name: 'a subdomain with allow_subdomains',
    rules: { allowSubdomains: true },
    value: 'a.example.com',
    allowed: true,
  },
  { name: 'a deep subdomain', rules: { allowSubdomains: true }, value: 'a.b.example.com', allowed: true },
  {
    name: 'the bare domain without allow_bare_domains',
    rules: { allowSubdomains: true },
    value: 'example.com',
    allowed: false,
  },
  {
    name: 'the bare domain with allow_bare_domains',
    rules: { allowBareDomains: true },
    value: 'EXAMPLE.com',
    allowed: true,
  },
  {
    name: 'a wildcard with allow_subdomains=false, even with bare domains (CVE-2022-25243)',
    rules: { allowBareDomains: true },
    value: '*.example.com',
    allowed: false,
  },
  {
    name: 'a wildcard with allow_subdomains',
    rules: { allowSubdomains: true },
    value: '*.example.com',
    allowed: true,
  },
  {
    name: 'a wildcard when wildcards are off',
    rules: { allowSubdomains: true, allowWildcardCertificates: false },
    value: '*.example.com',
    allowed: false,
  },
  { name: 'two wildcards', rules: { allowSubdomains: true }, value: '*.*.example.com', allowed: false },
  {
    name: 'a wildcard not leftmost',
    rules: { allowSubdomains: true },
    value: 'a.*.example.com',
    allowed: false,
  },
  {
    name: 'a partial wildcard label',
    rules: { allowSubdomains: true },
    value: 'web*.example.com',
    allowed: true,
  },
  { name: 'a look-alike suffix', rules: { allowSubdomains: true }, value: 'badexample.com', allowed: false },
  { name: 'another domain', rules: { allowSubdomains: true }, value: 'a.example.org', allowed: false },
  { name: 'localhost by default', rules: {}, value: 'localhost', allowed: true },
  { name: 'a wildcard localhost without allow_subdomains', rules: {}, value: '*.localhost', allowed: false },
  {
    name: 'a partial wildcard localdomain without allow_subdomains',
    rules: {},
    value: 'web*.localdomain',
    allowed: false,
  },
  {
    name: 'a wildcard localhost with allow_subdomains',
    rules: { allowSubdomains: true },
    value: '*.localhost',
    allowed: true,
  },
  { name: 'an email at localhost', rules: {}, value: 'root@localhost', allowed: true },
  { name: 'localhost when disallowed', rules: { allowLocalhost: false }, value: 'localhost', allowed: false },
  glob('a glob domain', 'web-*.example.com', 'web-1.example.com', true),
  glob('a glob that does not match', 'web-*.example.com', 'db-1.example.com', false),
  // Vault's glob.Glob is case-sensitive, in the name and in the pattern alike.
  glob('a glob matched in another case', 'web-*.example.com', 'WEB-1.example.com', false),
  glob(
    'a glob domain in capitals against a lower-case name',
    'Web-*.Example.com',
    'web-1.example.com',
    false,
  ),
  { name: 'any name', rules: { allowAnyName: true }, value: 'anything.test', allowed: true },
  {
    name: 'any name still needs a hostname',
    rules: { allowAnyName: true },
    value: 'not a host',
    allowed: false,
  },
  {
    name: 'any name without hostname checks',
    rules: { allowAnyName: true, enforceHostnames: false },
    value: 'not a host',
    allowed: true,
  },
  {
    name: 'an email in an allowed domain',
    rules: { allowBareDomains: true },
    value: 'ops@example.com',
    allowed: true,
  },
  {
    name: 'an email with a wildcard',
    rules: { allowSubdomains: true },
    value: 'ops@*.example.com',
    allowed: false,
  },
];

for (const c of cases) {
  test(`names: ${c.name} is ${c.allowed ? 'allowed' : 'refused'}`, () => {
    assert.equal(nameAllowed({ ...base, ...c.rules }, c.value), c.allowed);
  });
}

test('IP SANs outside allowed_ip_sans_cidr are refused, from the API and from CSRs', () => {
  const rules = { allowIpSans: true, allowedIpSansCidr: ['10.0.0.0/8', '2001:db8::/32'] };
  checkIpSans(rules, ['10.1.2.3', '2001:db8::1'], 'api');
  for (const source of ['api', 'csr'] as const) {
    assert.throws(
      () => checkIpSans(rules, ['10.1.2.3', '192.168.1.1'], source),
      (e: unknown) => e instanceof CofferError && e.status === 400 && /192\.168\.1\.1/.test(e.message),
    );
  }
  assert.throws(
    () => checkIpSans({ allowIpSans: false, allowedIpSansCidr: [] }, ['10.0.0.1'], 'csr'),
    /via CSR/,
  );
});

test('IP SANs are read as Go reads them: IPv4-mapped as IPv4, IPv6 in hex, zones and junk refused', () => {
  assert.equal(canonicalIp('10.1.2.3'), '10.1.2.3');
  assert.equal(canonicalIp('::ffff:10.1.2.3'), '10.1.2.3');
  assert.equal(canonicalIp('::FFFF:a01:203'), '10.1.2.3');
  assert.equal(canonicalIp('2001:db8::1.2.3.4'), '2001:db8::102:304');
  assert.equal(canonicalIp('2001:0DB8:0:0::1'), '2001:db8::1');
  assert.equal(canonicalIp('::ffff:1'), '::ffff:1');
  for (const bad of ['fe80::1%eth0', '10.1.2', 'a01:203', '']) assert.equal(canonicalIp(bad), undefined);
});
