import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { ConfigError } from '../../src/errors.js';
import { checkServiceUsers } from '../../src/supervisor/check-users.js';
import { resolveRunAs, rightsProblem, switchesUser, type Account, type AccountLookup } from '../../src/supervisor/run-as.js';
import { projectWith } from '../helpers/temp.js';

// No ports, no processes: user resolution and the rights rule with a fake user database.

const accounts: Account[] = [
  { name: 'root', uid: 0, gid: 0, home: '/root' },
  { name: 'alice', uid: 1000, gid: 1000, home: '/home/alice' },
  { name: 'postgres', uid: 101, gid: 104, home: '/var/lib/postgresql' },
];
const groups: Record<string, number> = { 'ssl-cert': 103, staff: 50 };
const lookup: AccountLookup = {
  user: (key) => accounts.find((account) => account.name === key || String(account.uid) === key) ?? null,
  group: (key) => groups[key] ?? null,
};
const root = { uid: 0, gid: 0, name: 'root' };
const alice = { uid: 1000, gid: 1000, name: 'alice' };

describe('resolveRunAs', () => {
  it('a name or a numeric uid gives the uid, primary gid and home; group: by name or number overrides the gid', () => {
    expect(resolveRunAs({ user: 'postgres', group: null }, lookup, root)).toEqual({ ok: true, runAs: accounts[2] });
    expect(resolveRunAs({ user: '101', group: 'ssl-cert' }, lookup, root)).toEqual({ ok: true, runAs: { ...accounts[2], gid: 103 } });
    expect(resolveRunAs({ user: 'postgres', group: '4242' }, lookup, root)).toEqual({ ok: true, runAs: { ...accounts[2], gid: 4242 } });
  });

  it('group: alone applies to berth\'s own user', () => {
    expect(resolveRunAs({ user: null, group: 'staff' }, lookup, alice)).toEqual({ ok: true, runAs: { ...accounts[1], gid: 50 } });
  });

  it('unknown users (by name or uid) and groups say which key is wrong', () => {
    expect(resolveRunAs({ user: 'nosuch', group: null }, lookup, root)).toEqual({ ok: false, key: 'user', message: 'no user "nosuch" on this machine' });
    expect(resolveRunAs({ user: '4242', group: null }, lookup, root)).toEqual({ ok: false, key: 'user', message: 'no user with uid 4242 on this machine' });
    expect(resolveRunAs({ user: 'postgres', group: 'nosuch' }, lookup, root)).toEqual({ ok: false, key: 'group', message: 'no group "nosuch" on this machine' });
  });
});

describe('rightsProblem', () => {
  const postgres = accounts[2] as Account;
  it('root may start a service as anyone; anyone may start one as themselves', () => {
    expect(rightsProblem(postgres, root)).toBeNull();
    expect(rightsProblem(accounts[1] as Account, alice)).toBeNull();
    expect(switchesUser(accounts[1] as Account, alice)).toBe(false);
    expect(switchesUser(postgres, root)).toBe(true);
  });

  it('another user, or another group, needs root', () => {
    expect(rightsProblem(postgres, alice)).toEqual({
      key: 'user',
      message: 'berth runs as alice (uid 1000) and cannot start a service as postgres; run berth as root or remove user:',
    });
    expect(rightsProblem({ ...(accounts[1] as Account), gid: 50 }, alice)).toEqual({
      key: 'group',
      message: 'berth runs as alice (uid 1000) and cannot start a service with gid 50; run berth as root or remove group:',
    });
  });
});

describe('checkServiceUsers (the pre-flight of berth up)', () => {
  const yaml = `version: 1
ranges: { dev: 27150-27159 }
environments:
  dev:
    services:
      api: { cmd: node server.js }
      db:
        cmd: postgres
        user: postgres
      cache:
        cmd: redis-server
        user: nosuch
        group: staff
`;
  const load = () => {
    const cwd = projectWith(yaml);
    const config = loadConfig({ cwd, vars: {}, ephemeral: null });
    return { cwd, config, env: config.environments.get('dev')! };
  };
  const problems = (selected: string[], self = alice) => {
    const { cwd, config, env } = load();
    try {
      checkServiceUsers(config, env, new Set(selected), { cwd, lookup, self });
      return [];
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).exitCode).toBe(2);
      return (error as Error).message.split('\n');
    }
  };

  it('every problem of the selected services, each at its key\'s value, in one ConfigError', () => {
    expect(problems(['api', 'db', 'cache'])).toEqual([
      'ports.yaml:9:15: services.db.user: berth runs as alice (uid 1000) and cannot start a service as postgres; run berth as root or remove user:',
      'ports.yaml:12:15: services.cache.user: no user "nosuch" on this machine',
    ]);
  });

  it('services not selected (--only) are not checked; as root only the unknown user is left', () => {
    expect(problems(['api'])).toEqual([]);
    expect(problems(['api', 'db', 'cache'], root)).toEqual(['ports.yaml:12:15: services.cache.user: no user "nosuch" on this machine']);
  });

  it('names ports.yaml relative to the cwd', () => {
    const { cwd, config, env } = load();
    expect(() => checkServiceUsers(config, env, new Set(['db']), { cwd: path.dirname(cwd), lookup, self: alice })).toThrow(/^proj\/ports\.yaml:9:15: /);
  });
});
