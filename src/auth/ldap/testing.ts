/**
 * A real OpenLDAP `slapd` for tests: started on a free loopback port in a temporary directory with a
 * generated slapd.conf (mdb backend, `dc=example,dc=org`), seeded and changed through the client
 * library as the root DN, and stopped afterwards. Its config allows unauthenticated binds (a DN with
 * an empty password) so that `deny_null_bind` is what refuses them (SECURITY.md A2), and its log
 * (`-d stats`) records every search filter, so tests can see what the server was asked.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Attribute, Change, Client } from 'ldapts';

export const SUFFIX = 'dc=example,dc=org';
export const PEOPLE = `ou=people,${SUFFIX}`;
export const GROUPS = `ou=groups,${SUFFIX}`;

const SCHEMAS = ['core', 'cosine', 'inetorgperson', 'nis'];

export interface TestDirectory {
  url: string;
  rootDn: string;
  rootPassword: string;
  /** Everything slapd has logged so far (connections, binds, search filters). */
  log(): string;
  addUser(uid: string, password: string): Promise<string>;
  deleteUser(uid: string): Promise<void>;
  setPassword(uid: string, password: string): Promise<void>;
  /** A groupOfNames under ou=groups; `uids` are people (groupOfNames needs a member, so the root DN fills an empty one). */
  addGroup(cn: string, uids: string[]): Promise<string>;
  addMember(cn: string, uid: string): Promise<void>;
  removeMember(cn: string, uid: string): Promise<void>;
  stop(): Promise<void>;
}

export function userDn(uid: string): string {
  return `uid=${uid},${PEOPLE}`;
}

function slapdPath(): string {
  for (const candidate of ['/usr/sbin/slapd', '/usr/local/sbin/slapd', '/usr/local/libexec/slapd']) {
    try {
      execFileSync(candidate, ['-VV'], { stdio: 'ignore' });
      return candidate;
    } catch (error) {
      // slapd -VV exits non-zero on some builds after printing its version; it still exists.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return candidate;
    }
  }
  throw new Error(
    'slapd is not installed: the LDAP tests need a real OpenLDAP server. Install it with ' +
      '`DEBIAN_FRONTEND=noninteractive apt-get install -y slapd ldap-utils` (.ci/run does this).',
  );
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function waitForPort(port: number, process: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (process.exitCode !== null) throw new Error(`slapd exited (${process.exitCode}):\n${output()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`slapd did not listen on ${port}:\n${output()}`);
}

function slapdConfig(dir: string, rootDn: string, rootPassword: string): string {
  return [
    ...SCHEMAS.map((name) => `include /etc/ldap/schema/${name}.schema`),
    `pidfile ${join(dir, 'slapd.pid')}`,
    'modulepath /usr/lib/ldap',
    'moduleload back_mdb',
    // Unauthenticated binds (a DN, no password) are what deny_null_bind must stop.
    'allow bind_anon_dn',
    'database mdb',
    'maxsize 16777216',
    `suffix "${SUFFIX}"`,
    `rootdn "${rootDn}"`,
    `rootpw ${rootPassword}`,
    `directory ${join(dir, 'db')}`,
    'access to attrs=userPassword by self write by anonymous auth by * none',
    'access to * by * read',
    '',
  ].join('\n');
}

/** `rootPassword` defaults to a random one; e2e tests pass a `CANARY_…` value so the leak sweep watches it. */
export async function startSlapd(options: { rootPassword?: string } = {}): Promise<TestDirectory> {
  const binary = slapdPath();
  const dir = await mkdtemp(join(tmpdir(), 'coffer-slapd-'));
  await mkdir(join(dir, 'db'));
  const rootDn = `cn=admin,${SUFFIX}`;
  const rootPassword = options.rootPassword ?? randomBytes(12).toString('hex');
  await writeFile(join(dir, 'slapd.conf'), slapdConfig(dir, rootDn, rootPassword));
  const port = await freePort();
  const url = `ldap://127.0.0.1:${port}`;
  const child = spawn(binary, ['-f', join(dir, 'slapd.conf'), '-h', `${url}/`, '-d', 'stats'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitForPort(port, child, () => output);
  } catch (error) {
    await stop();
    throw error;
  }

  async function asRoot<T>(work: (client: Client) => Promise<T>): Promise<T> {
    const client = new Client({ url });
    try {
      await client.bind(rootDn, rootPassword);
      return await work(client);
    } finally {
      await client.unbind();
    }
  }
  const groupDn = (cn: string) => `cn=${cn},${GROUPS}`;
  const member = (uid: string) => new Attribute({ type: 'member', values: [userDn(uid)] });

  await asRoot(async (client) => {
    await client.add(SUFFIX, { objectClass: ['dcObject', 'organization'], dc: 'example', o: 'Example' });
    await client.add(PEOPLE, { objectClass: 'organizationalUnit', ou: 'people' });
    await client.add(GROUPS, { objectClass: 'organizationalUnit', ou: 'groups' });
  });

  return {
    url,
    rootDn,
    rootPassword,
    log: () => output,
    addUser: (uid, password) =>
      asRoot(async (client) => {
        await client.add(userDn(uid), {
          objectClass: 'inetOrgPerson',
          uid,
          cn: uid,
          sn: uid,
          userPassword: password,
        });
        return userDn(uid);
      }),
    deleteUser: (uid) => asRoot((client) => client.del(userDn(uid))),
    setPassword: (uid, password) =>
      asRoot((client) =>
        client.modify(
          userDn(uid),
          new Change({
            operation: 'replace',
            modification: new Attribute({ type: 'userPassword', values: [password] }),
          }),
        ),
      ),
    addGroup: (cn, uids) =>
      asRoot(async (client) => {
        const members = uids.length ? uids.map(userDn) : [rootDn];
        await client.add(groupDn(cn), { objectClass: 'groupOfNames', cn, member: members });
        return groupDn(cn);
      }),
    addMember: (cn, uid) =>
      asRoot((client) =>
        client.modify(groupDn(cn), new Change({ operation: 'add', modification: member(uid) })),
      ),
    removeMember: (cn, uid) =>
      asRoot((client) =>
        client.modify(groupDn(cn), new Change({ operation: 'delete', modification: member(uid) })),
      ),
    stop,
  };
}
