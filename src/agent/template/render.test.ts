/** The template language against the output Go's text/template (with consul-template's functions) gives. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TemplateParseError } from './lexer.js';
import { compileTemplate, renderTemplate } from './render.js';
import { GoStruct } from './values.js';

const secretData: Record<string, unknown> = {
  'secret/data/app': {
    data: { password: 'hunter2', user: 'app', 'my-key': 'dash', port: 5432, tags: ['a', 'b'], empty: '' },
    metadata: { version: 3 },
  },
  'database/creds/ro': { username: 'v-ro-x', password: 'pw' },
};

function fakeSecret(path: unknown, ...writes: unknown[]): GoStruct | undefined {
  const key = writes.length > 0 ? `${path} ${writes.join(' ')}` : String(path);
  const data =
    key === 'pki/issue/web common_name=a.example.com'
      ? { certificate: 'CERT a.example.com' }
      : secretData[key];
  if (!data) return undefined;
  return new GoStruct('*dependency.Secret', {
    LeaseID: '',
    LeaseDuration: 0,
    Renewable: false,
    Data: data,
    Warnings: null,
  });
}

function render(
  source: string,
  options: { errorOnMissingKey?: boolean; left?: string; right?: string } = {},
) {
  const compiled = compileTemplate('test.ctmpl', source, {
    errorOnMissingKey: options.errorOnMissingKey,
    delims: { left: options.left, right: options.right },
  });
  return renderTemplate(compiled, {
    server: { secret: fakeSecret, secrets: () => ['a', 'b/'] },
    env: { HOME: '/home/app' },
    now: () => new Date('2026-03-04T05:06:07.890Z'),
  });
}

const cases: { name: string; template: string; want: string }[] = [
  { name: 'plain text passes through', template: 'hello\n', want: 'hello\n' },
  { name: 'trim markers eat whitespace on their side', template: 'a  {{- "b" -}}  \n c', want: 'abc' },
  { name: 'a dash without a space is a negative number', template: '{{-3}}', want: '-3' },
  { name: 'comments print nothing', template: 'a{{/* note */}}b', want: 'ab' },
  { name: 'trimmed comments', template: 'a {{- /* note */ -}} b', want: 'ab' },
  {
    name: 'KV v2 field chain',
    template: '{{ with secret "secret/data/app" }}{{ .Data.data.password }}{{ end }}',
    want: 'hunter2',
  },
  {
    name: 'a missing key prints <no value>',
    template: '{{ with secret "secret/data/app" }}{{ .Data.data.nope }}{{ end }}',
    want: '<no value>',
  },
  {
    name: 'a field of a missing key is <no value> too',
    template: '{{ with secret "secret/data/app" }}{{ .Data.nope.deeper }}{{ end }}',
    want: '<no value>',
  },
  {
    name: 'index reads keys with dashes',
    template: '{{ with secret "secret/data/app" }}{{ index .Data.data "my-key" }}{{ end }}',
    want: 'dash',
  },
  {
    name: 'index of a missing key',
    template: '{{ with secret "secret/data/app" }}{{ index .Data.data "zz" }}{{ end }}',
    want: '<no value>',
  },
  {
    name: 'index of a list',
    template: '{{ with secret "secret/data/app" }}{{ index .Data.data.tags 1 }}{{ end }}',
    want: 'b',
  },
  {
    name: 'with skips an absent secret',
    template: '{{ with secret "secret/data/none" }}x{{ else }}none{{ end }}',
    want: 'none',
  },
  { name: 'numbers print as Go does', template: '{{ 3 }} {{ 1.5 }} {{ 1e21 }}', want: '3 1.5 1e+21' },
  {
    name: 'a list prints in brackets',
    template: '{{ with secret "secret/data/app" }}{{ .Data.data.tags }}{{ end }}',
    want: '[a b]',
  },
  {
    name: 'a map prints sorted',
    template: '{{ with secret "database/creds/ro" }}{{ .Data }}{{ end }}',
    want: 'map[password:pw username:v-ro-x]',
  },
  {
    name: 'if / else if / else',
    template: '{{ if eq 1 2 }}a{{ else if eq 2 2 }}b{{ else }}c{{ end }}',
    want: 'b',
  },
  {
    name: 'empty string is false',
    template: '{{ with secret "secret/data/app" }}{{ if .Data.data.empty }}y{{ else }}n{{ end }}{{ end }}',
    want: 'n',
  },
  {
    name: 'range over a list',
    template: '{{ range $i, $e := split "," "x,y" }}{{ $i }}={{ $e }};{{ end }}',
    want: '0=x;1=y;',
  },
  {
    name: 'range over a map in key order',
    template:
      '{{ with secret "database/creds/ro" }}{{ range $k, $v := .Data }}{{ $k }}={{ $v }}\n{{ end }}{{ end }}',
    want: 'password=pw\nusername=v-ro-x\n',
  },
  {
    name: 'range with one variable binds the element',
    template: '{{ range $e := split "," "x,y" }}{{ $e }}{{ end }}',
    want: 'xy',
  },
  { name: 'range sets dot', template: '{{ range split "," "x,y" }}[{{ . }}]{{ end }}', want: '[x][y]' },
  {
    name: 'range else on an empty list',
    template: '{{ range split "," "" }}x{{ else }}empty{{ end }}',
    want: 'empty',
  },
  {
    name: 'break and continue',
    template:
      '{{ range split "," "a,b,c,d" }}{{ if eq . "b" }}{{ continue }}{{ end }}{{ if eq . "d" }}{{ break }}{{ end }}{{ . }}{{ end }}',
    want: 'ac',
  },
  {
    name: 'range over an integer counts as it goes, never building a list of that size',
    template:
      '{{ range 4294967296 }}{{ if eq . 3 }}{{ break }}{{ end }}{{ . }}{{ end }}{{ range 0 }}x{{ else }}-{{ end }}',
    want: '012-',
  },
  {
    name: 'variables declare and assign',
    template: '{{ $x := "a" }}{{ if true }}{{ $x = "b" }}{{ end }}{{ $x }}',
    want: 'b',
  },
  {
    name: 'a variable ends with its block',
    template: '{{ $x := "outer" }}{{ if true }}{{ $x := "inner" }}{{ $x }}{{ end }} {{ $x }}',
    want: 'inner outer',
  },
  { name: '$ is the root data', template: '{{ with "x" }}{{ $ }}{{ end }}', want: '<no value>' },
  { name: 'pipelines pass the value last', template: '{{ "a,b" | split "," | join "-" }}', want: 'a-b' },
  {
    name: 'parenthesized pipelines',
    template: '{{ (secret "database/creds/ro").Data.username }}',
    want: 'v-ro-x',
  },
  {
    name: 'printf verbs',
    template: '{{ printf "%s %d %v %q %%" "s" 42 true "q\\"" }}',
    want: 's 42 true "q\\"" %',
  },
  {
    name: 'printf widths: - pads on the right, 0 pads numbers with zeros after the sign',
    template: '{{ printf "[%-6s][%6s][%05d][%05d][%-4d]" "ab" "ab" 42 -42 7 }}',
    want: '[ab    ][    ab][00042][-0042][7   ]',
  },
  {
    name: 'printf of a wrong type says so without the value',
    template: '{{ printf "%d" "secret" }}',
    want: '%!d(string=?)',
  },
  {
    name: 'len counts bytes, lists and maps',
    template: '{{ len "héllo" }} {{ len (split "," "a,b") }}',
    want: '6 2',
  },
  {
    name: 'and / or return the deciding value',
    template: '{{ and 1 0 2 }} {{ or 0 "" "x" }} {{ not 0 }}',
    want: '0 x true',
  },
  {
    name: 'comparisons',
    template: '{{ lt 1 2 }} {{ le 2 2 }} {{ gt "b" "a" }} {{ ge 1 2 }} {{ ne "a" "b" }} {{ eq "a" "b" "a" }}',
    want: 'true true true false true true',
  },
  { name: 'env', template: '{{ env "HOME" }}|{{ env "NOPE" }}|', want: '/home/app||' },
  {
    name: 'env of a name an object inherits is empty, as an unset variable',
    template: '{{ env "constructor" }}|{{ env "__proto__" }}|{{ env "toString" }}|',
    want: '|||',
  },
  {
    name: 'toJSON sorts keys and escapes HTML',
    template: '{{ with secret "database/creds/ro" }}{{ .Data | toJSON }}{{ end }}{{ "<&>" | toJSON }}',
    want: '{"password":"pw","username":"v-ro-x"}"\\u003c\\u0026\\u003e"',
  },
  {
    name: 'toJSON of the secret itself gives its fields in order, as json.Marshal of the struct',
    template: '{{ with secret "database/creds/ro" }}{{ toJSON . }}{{ end }}',
    want: '{"LeaseID":"","LeaseDuration":0,"Renewable":false,"Data":{"password":"pw","username":"v-ro-x"},"Warnings":null}',
  },
  {
    name: 'toJSONPretty indents by two spaces',
    template: '{{ with secret "database/creds/ro" }}{{ .Data | toJSONPretty }}{{ end }}',
    want: '{\n  "password": "pw",\n  "username": "v-ro-x"\n}',
  },
  {
    name: 'base64 both ways',
    template: '{{ base64Encode "hi!" }} {{ base64Decode "aGkh" }}',
    want: 'aGkh hi!',
  },
  {
    name: 'string helpers',
    template: '{{ trimSpace "  x " }}|{{ toUpper "a" }}{{ toLower "B" }}|{{ replaceAll "a" "o" "banana" }}',
    want: 'x|Ab|bonono',
  },
  {
    name: "replaceAll puts the replacement in as it is: a password with $& or $' is not a JS pattern",
    template: `{{ "url=PW;" | replaceAll "PW" "p$&q$'r$$s" }}`,
    want: "url=p$&q$'r$$s;",
  },
  {
    name: 'contains on a string and a list',
    template: '{{ contains "ell" "hello" }} {{ split "," "a,b" | contains "b" }} {{ contains "z" "hello" }}',
    want: 'true true false',
  },
  {
    name: 'timestamp',
    template: '{{ timestamp }} {{ timestamp "unix" }} {{ timestamp "2006-01-02" }}',
    want: '2026-03-04T05:06:07Z 1772600767 2026-03-04',
  },
  {
    name: 'secret with k=v arguments writes',
    template: '{{ with secret "pki/issue/web" "common_name=a.example.com" }}{{ .Data.certificate }}{{ end }}',
    want: 'CERT a.example.com',
  },
  {
    name: 'secrets lists',
    template: '{{ range secrets "secret/metadata/" }}{{ . }},{{ end }}',
    want: 'a,b/,',
  },
  {
    name: 'Secret struct fields',
    template: '{{ with secret "database/creds/ro" }}{{ .LeaseDuration }} {{ .Renewable }}{{ end }}',
    want: '0 false',
  },
  { name: 'strings with escapes and raw strings', template: '{{ "a\\tb" }}{{ `c\\n` }}', want: 'a\tbc\\n' },
  { name: 'custom delimiters', template: '[[ "x" ]]{{ y }}', want: 'x{{ y }}' },
];

describe('template language (Go text/template + consul-template functions)', () => {
  for (const c of cases) {
    test(c.name, () => {
      const delims = c.name === 'custom delimiters' ? { left: '[[', right: ']]' } : {};
      assert.equal(render(c.template, delims), c.want);
    });
  }

  const failures: { name: string; template: string; error: RegExp; missingKey?: boolean }[] = [
    {
      name: 'a missing key with error_on_missing_key',
      template: '\n{{ with secret "secret/data/app" }}{{ .Data.data.nope }}{{ end }}',
      error: /^template: test.ctmpl:2: executing "test.ctmpl": map has no entry for key "nope"$/,
      missingKey: true,
    },
    {
      name: 'an unknown field of the Secret struct',
      template: '{{ with secret "secret/data/app" }}{{ .Nope }}{{ end }}',
      error: /can't evaluate field Nope in type \*dependency.Secret/,
    },
    {
      name: 'a field of a string',
      template: '{{ with secret "secret/data/app" }}{{ .Data.data.password.x }}{{ end }}',
      error: /can't evaluate field x in type string/,
    },
    { name: 'an undefined variable', template: '{{ $nope }}', error: /undefined variable: \$nope/ },
    {
      name: 'comparing a string with a number',
      template: '{{ eq "1" 1 }}',
      error: /incompatible types for comparison/,
    },
    { name: 'bad base64', template: '{{ base64Decode "!!" }}', error: /illegal base64 data/ },
    {
      name: 'range over a string',
      template: '{{ range "abc" }}{{ end }}',
      error: /range can't iterate over value of type string/,
    },
  ];
  for (const f of failures) {
    test(`fails: ${f.name}`, () => {
      assert.throws(
        () => render(f.template, { errorOnMissingKey: f.missingKey }),
        (error: Error) => {
          assert.match(error.message, f.error);
          assert.doesNotMatch(error.message, /hunter2/);
          return true;
        },
      );
    });
  }

  const parseErrors: { name: string; template: string; error: RegExp }[] = [
    { name: 'an unclosed action', template: 'a\nb {{ .x ', error: /^template: t:2: unclosed action$/ },
    { name: 'an if without end', template: '{{ if true }}hunter2', error: /^template: t:1: unexpected EOF/ },
    {
      name: 'an end without block',
      template: 'x\n\n{{ end }}',
      error: /^template: t:3: unexpected \{\{end\}\}$/,
    },
    {
      name: 'an unknown function',
      template: '{{ nope "hunter2" }}',
      error: /^template: t:1: function "nope" not defined$/,
    },
    {
      name: 'an unterminated string',
      template: '{{ "hunter2 }}',
      error: /^template: t:1: unterminated quoted string$/,
    },
    { name: 'break outside range', template: '{{ break }}', error: /outside \{\{range\}\}/ },
    { name: 'an unclosed comment', template: '{{/* hunter2 }}', error: /unclosed comment/ },
    {
      name: 'an error after many lines',
      template: `${'{{ if true }}\n{{ end }}\n'.repeat(500)}{{ end }}`,
      error: /^template: t:1001: unexpected \{\{end\}\}$/,
    },
  ];
  for (const p of parseErrors) {
    test(`parse error: ${p.name} names the template and line, never the text`, () => {
      assert.throws(
        () => compileTemplate('t', p.template),
        (error: Error) => {
          assert.ok(error instanceof TemplateParseError);
          assert.match(error.message, p.error);
          assert.doesNotMatch(error.message, /hunter2/);
          return true;
        },
      );
    });
  }

  test('a large template compiles in work linear in its size (line numbers are not recounted per token)', () => {
    // Counts the characters the lexer reads instead of timing it: recounting lines from the start for
    // each token read about 20 million characters of this 12 KB template, a linear pass a few per byte.
    const source = '{{ if true }}x{{ end }}\n'.repeat(500);
    const charCodeAt = String.prototype.charCodeAt;
    let reads = 0;
    String.prototype.charCodeAt = function (this: string, index: number) {
      reads++;
      return charCodeAt.call(this, index);
    };
    try {
      compileTemplate('big', source);
    } finally {
      String.prototype.charCodeAt = charCodeAt;
    }
    assert.ok(
      reads < 10 * source.length,
      `${reads} characters read for a ${source.length}-character template`,
    );
  });
});
