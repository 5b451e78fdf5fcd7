import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

/** A user of this machine, as the user database (passwd, through NSS) has it. */
export interface Account {
  name: string;
  uid: number;
  /** Primary group. */
  gid: number;
  home: string;
}

/** Who a service runs as: its user, and the group it gets (the user's own, or `group:`). */
export type RunAs = Account;

/** Who berth itself runs as. */
export interface Identity {
  uid: number;
  gid: number;
  /** The user name, or `uid N` when the uid has no entry. */
  name: string;
}

export interface AccountLookup {
  /** A user by name or numeric uid; null when there is none. */
  user(nameOrUid: string): Account | null;
  /** A group's gid by name or numeric gid; null when there is none. */
  group(nameOrGid: string): number | null;
}

export type Resolved = { ok: true; runAs: RunAs } | { ok: false; key: 'user' | 'group'; message: string };

const NUMERIC = /^\d+$/;

export function currentIdentity(): Identity {
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  let name = `uid ${uid}`;
  try {
    name = os.userInfo().username;
  } catch {
    // a uid with no passwd entry (containers run with bare uids)
  }
  return { uid, gid, name };
}

/**
 * `user:` / `group:` → uid, gid and home. No `user:` means berth's own user (with `group:`
 * applied); a numeric gid need not have an entry, a uid must (its groups and home come from it).
 */
export function resolveRunAs(spec: { user: string | null; group: string | null }, lookup: AccountLookup = systemAccounts, self: Identity = currentIdentity()): Resolved {
  let account: Account | null;
  if (spec.user === null) {
    account = lookup.user(String(self.uid)) ?? { name: self.name, uid: self.uid, gid: self.gid, home: os.homedir() };
  } else {
    account = lookup.user(spec.user);
    if (!account) {
      const what = NUMERIC.test(spec.user) ? `no user with uid ${spec.user}` : `no user "${spec.user}"`;
      return { ok: false, key: 'user', message: `${what} on this machine` };
    }
  }
  if (spec.group === null) return { ok: true, runAs: account };
  const gid = NUMERIC.test(spec.group) ? Number(spec.group) : lookup.group(spec.group);
  if (gid === null) return { ok: false, key: 'group', message: `no group "${spec.group}" on this machine` };
  return { ok: true, runAs: { ...account, gid } };
}

/** Whether a service must be started as someone else than berth (else it is spawned as usual). */
export function switchesUser(runAs: RunAs, self: Identity = currentIdentity()): boolean {
  return runAs.uid !== self.uid || runAs.gid !== self.gid;
}

/** Why berth cannot start a service as `runAs` (only root can switch users), or null. */
export function rightsProblem(runAs: RunAs, self: Identity = currentIdentity()): { key: 'user' | 'group'; message: string } | null {
  if (self.uid === 0 || !switchesUser(runAs, self)) return null;
  const berth = `berth runs as ${self.name} (uid ${self.uid})`;
  if (runAs.uid !== self.uid) {
    return { key: 'user', message: `${berth} and cannot start a service as ${runAs.name}; run berth as root or remove user:` };
  }
  return { key: 'group', message: `${berth} and cannot start a service with gid ${runAs.gid}; run berth as root or remove group:` };
}

/**
 * The system's user database. `getent` asks NSS (LDAP, systemd users…), which /etc/passwd alone
 * misses; ~3 ms per call, once per distinct name (cached). Without getent (busybox), /etc/passwd
 * and /etc/group; on macOS (no users in /etc/passwd) `id -P` and `dscacheutil`.
 */
export const systemAccounts: AccountLookup = cachedLookup(process.platform === 'darwin' ? darwinLookup() : getentLookup());

function cachedLookup(lookup: AccountLookup): AccountLookup {
  const users = new Map<string, Account | null>();
  const groups = new Map<string, number | null>();
  return {
    user(key) {
      if (!users.has(key)) users.set(key, lookup.user(key));
      return users.get(key) ?? null;
    },
    group(key) {
      if (!groups.has(key)) groups.set(key, lookup.group(key));
      return groups.get(key) ?? null;
    },
  };
}

function getentLookup(): AccountLookup {
  return {
    user: (key) => {
      const line = getent('passwd', key) ?? fileEntry('/etc/passwd', key, 2);
      return line === null ? null : passwdAccount(line.split(':'), { uid: 2, gid: 3, home: 5 });
    },
    group: (key) => {
      const line = getent('group', key) ?? fileEntry('/etc/group', key, 2);
      const gid = line?.split(':')[2];
      return gid !== undefined && NUMERIC.test(gid) ? Number(gid) : null;
    },
  };
}

function darwinLookup(): AccountLookup {
  return {
    // `id -P` prints a master.passwd line: name:pw:uid:gid:class:change:expire:gecos:home:shell
    user: (key) => {
      const line = run('id', ['-P', key]);
      return line === null ? null : passwdAccount(line.split(':'), { uid: 2, gid: 3, home: 8 });
    },
    group: (key) => {
      const gid = /^gid: (\d+)$/m.exec(run('dscacheutil', ['-q', 'group', '-a', 'name', key]) ?? '')?.[1];
      return gid === undefined ? null : Number(gid);
    },
  };
}

function passwdAccount(fields: string[], at: { uid: number; gid: number; home: number }): Account | null {
  const [name, uid, gid] = [fields[0], fields[at.uid], fields[at.gid]];
  if (!name || uid === undefined || gid === undefined || !NUMERIC.test(uid) || !NUMERIC.test(gid)) return null;
  return { name, uid: Number(uid), gid: Number(gid), home: fields[at.home] || '/' };
}

/** `getent DB KEY`'s first line; null when there is no such entry; undefined when getent failed (no getent: busybox). */
function getent(db: 'passwd' | 'group', key: string): string | null | undefined {
  try {
    return run('getent', [db, key], true)?.split('\n')[0] ?? null;
  } catch (error) {
    return (error as { status?: number | null }).status === 2 ? null : undefined; // 2: "key could not be found"
  }
}

/** The line of a passwd/group file whose name (or id, field `idField`) is `key`. */
function fileEntry(file: string, key: string, idField: number): string | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  const field = NUMERIC.test(key) ? idField : 0;
  return text.split('\n').find((line) => !line.startsWith('#') && line.split(':')[field] === key) ?? null;
}

/** A lookup command's trimmed output, null when empty or when it failed (unless `rethrow`). */
function run(file: string, args: string[], rethrow = false): string | null {
  try {
    // Bounded: NSS over the network can hang.
    return execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 }).trim() || null;
  } catch (error) {
    if (rethrow) throw error;
    return null;
  }
}
