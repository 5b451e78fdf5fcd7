import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Lease } from '../../src/store/lease.js';
import { alive, startUp } from '../helpers/berth-up.js';
import { ROOT, runCli, waitFor } from '../helpers/processes.js';
import { projectWith, tempDir } from '../helpers/temp.js';

// This file's ports: 22000-22999.

const FIX = path.join(ROOT, 'test', 'fixtures');
const serve = `node ${FIX}/serve.mjs`;

function project(yaml: string) {
  const cwd = projectWith(yaml);
  const env = { BERTH_HOME: tempDir('berth-home-') };
  const leases = (): Lease[] => {
    const file = path.join(env.BERTH_HOME, 'registry.json');
    try {
      return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { leases: Lease[] }).leases : [];
    } catch {
      return []; // not (yet) a valid registry
    }
  };
  return { cwd, env, leases, up: (...args: string[]) => startUp(args, { cwd, env }) };
}

const started = (line: string) => JSON.parse(line.slice(line.indexOf('started ') + 8)) as { argv: string[]; cwd: string; env: Record<string, string> };

describe('berth up', () => {
  it('gives every service its ports, its siblings\' ports and the BERTH_* variables, interpolated', async () => {
    const { up, cwd } = project(`version: 1
project: shop
ranges: { dev: 22000-22019 }
environments:
  dev:
    services:
      api:
        cmd: ${serve} --self \${self.port} --ws \${self.ports.ws}
        ports: [http, ws]
        env: { X_DB_URL: "postgres://127.0.0.1:\${db.port}/shop_\${env}_\${instance}" }
      db: { cmd: ${serve} }
      job: { cmd: "${serve} \${project}", ports: 0, ready: none }
`);
    const berth = up();
    const api = started(await berth.line(/^api +│ started /));
    expect(api.argv).toEqual(['--self', '22000', '--ws', '22001']);
    expect(api.cwd).toBe(cwd);
    expect(api.env).toMatchObject({
      PORT: '22000',
      PORT_HTTP: '22000',
      PORT_WS: '22001',
      API_PORT: '22000',
      DB_PORT: '22002',
      BERTH_PROJECT: 'shop',
      BERTH_ENV: 'dev',
      BERTH_INSTANCE: '1',
      X_DB_URL: 'postgres://127.0.0.1:22002/shop_dev_1',
    });
    const db = started(await berth.line(/^db +│ started /));
    expect(db.env).toMatchObject({ PORT: '22002', API_PORT: '22000', DB_PORT: '22002' });
    const job = started(await berth.line(/^job +│ started /));
    expect(job.argv).toEqual(['shop']);
    expect(job.env.PORT).toBeUndefined();
    await berth.line(/^berth +│ db ready on 22002/);
    berth.child.kill('SIGINT');
    expect((await berth.exit).code).toBe(0);
  });

  it('two at once become instances 1 and 2 on disjoint blocks; both are released after SIGINT', async () => {
    const { cwd, env, leases } = project(`version: 1
project: pair
ranges: { dev: 22020-22039 }
environments:
  dev:
    services:
      a: { cmd: ${serve} }
      b: { cmd: ${serve} }
`);
    const one = startUp([], { cwd, env });
    const two = startUp([], { cwd, env });
    await Promise.all([one.line(/b ready/), two.line(/b ready/)]);
    const held = leases().sort((x, y) => x.instance - y.instance);
    expect(held.map((lease) => [lease.instance, lease.ports])).toEqual([
      [1, expect.any(Array)],
      [2, expect.any(Array)],
    ]);
    const ports = held.flatMap((lease) => Object.values(lease.services).flat());
    expect(new Set(ports).size).toBe(4);
    one.child.kill('SIGINT');
    two.child.kill('SIGINT');
    expect((await one.exit).code).toBe(0);
    expect((await two.exit).code).toBe(0);
    expect(leases()).toEqual([]);
  });

  it('SIGKILL of berth: every child and grandchild is gone within 1 s, the lease is stale at once, and the next up gets the same block', async () => {
    const { up, leases, env, cwd } = project(`version: 1
ranges: { dev: 22040-22059 }
environments:
  dev:
    services:
      web: { cmd: ${serve} }
      tree:
        cmd: 'sleep 1000 & sleep 1000 & echo "pids $$ $!"; wait'
        shell: true
        ports: 0
        ready: { log: pids }
`);
    const berth = up();
    await berth.line(/web ready/);
    const web = await waitFor(() => findPid('serve.mjs', berth.child.pid as number));
    const pidsLine = await berth.line(/^tree +│ pids /);
    const [shell, sleeper] = pidsLine.split(' ').slice(-2).map(Number) as [number, number];
    const before = leases();
    expect([alive(web), alive(shell), alive(sleeper)]).toEqual([true, true, true]);

    berth.child.kill('SIGKILL');
    await berth.exit;
    const killedAt = Date.now();
    await waitFor(() => !alive(web) && !alive(shell) && !alive(sleeper), 1000, 'every service process to be gone');
    expect(Date.now() - killedAt).toBeLessThan(1000);
    expect((await runCli(['ports', '--json'], { cwd, env })).stdout).toContain('"stale": true');

    const again = up();
    await again.line(/web ready/);
    expect(leases().map((lease) => lease.ports)).toEqual(before.map((lease) => lease.ports));
    again.child.kill('SIGINT');
    await again.exit;
  });

  it('a service that ignores SIGTERM is SIGKILLed after stop_timeout, and the exit code says so', async () => {
    const { up } = project(`version: 1
ranges: { dev: 22060-22069 }
environments:
  dev:
    services:
      stubborn: { cmd: node ${FIX}/ignore-term.mjs, ports: 0, ready: { log: running }, stop_timeout: 300ms }
`);
    const berth = up();
    await berth.line(/stubborn ready/);
    const pid = await waitFor(() => findPid('ignore-term.mjs', berth.child.pid as number));
    const stoppedAt = Date.now();
    berth.child.kill('SIGINT');
    await berth.line(/ignoring SIGTERM/);
    await berth.line(/did not stop within 300 ms of SIGTERM: SIGKILL/);
    expect((await berth.exit).code).toBe(1);
    expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(300);
    expect(alive(pid)).toBe(false);
  });

  it('stops grandchildren too (sh -c "x & wait")', async () => {
    const { up } = project(`version: 1
ranges: { dev: 22070-22079 }
environments:
  dev:
    services:
      tree: { cmd: 'sleep 1000 & sleep 1000 & echo "pids $! $$"; wait', shell: true, ports: 0, ready: { log: pids } }
`);
    const berth = up();
    const pids = (await berth.line(/^tree +│ pids /)).split(' ').slice(-2).map(Number);
    berth.child.kill('SIGTERM');
    expect((await berth.exit).code).toBe(0);
    for (const pid of pids) expect(alive(pid)).toBe(false);
  });

  it('a dependant starts only once its dependency is ready', async () => {
    const { up } = project(`version: 1
ranges: { dev: 22080-22089 }
environments:
  dev:
    services:
      db: { cmd: ${serve}, env: { DELAY_MS: 400 } }
      api: { cmd: ${serve}, depends_on: [db], env: { CONNECT_TO: "\${db.port}" } }
`);
    const berth = up();
    await berth.line(/api +│ dependency (answered|refused)/);
    expect(berth.lines.find((line) => line.startsWith('api ') && line.includes('dependency'))).toMatch(/dependency answered on 22080/);
    const order = berth.lines.filter((line) => /db ready|api +│ started/.test(line));
    expect(order[0]).toMatch(/db ready/);
    berth.child.kill('SIGINT');
    await berth.exit;
  });

  it('a dependency that fails keeps its dependants from starting, saying why; exit 1', async () => {
    const { up, leases } = project(`version: 1
ranges: { dev: 22090-22099 }
environments:
  dev:
    services:
      db: { cmd: no-such-command-berth --flag }
      api: { cmd: ${serve}, depends_on: [db] }
`);
    const berth = up();
    await berth.line(/db failed: command not found: no-such-command-berth/);
    await berth.line(/api: not started: dependency db failed/);
    expect((await berth.exit).code).toBe(1);
    expect(berth.lines.some((line) => line.startsWith('api ') && line.includes('started'))).toBe(false);
    expect(leases()).toEqual([]);
  });

  it('ends by itself when every service has ended: 0 when all exited 0, else 1; a last line without newline is kept', async () => {
    const yaml = (code: number) => `version: 1
ranges: { dev: 22100-22109 }
environments:
  dev:
    services:
      one: { cmd: node ${FIX}/exit-with.mjs 0, ports: 0 }
      two: { cmd: node ${FIX}/exit-with.mjs ${code}, ports: 0 }
`;
    const ok = project(yaml(0)).up();
    expect((await ok.exit).code).toBe(0);
    expect(ok.lines).toContain('two   │ no newline at the end');
    const bad = project(yaml(3)).up();
    expect((await bad.exit).code).toBe(1);
    expect(bad.lines).toContain('berth │ two failed: exited with code 3');
  });

  it('restarts on failure with backoff, counting restarts', async () => {
    const counter = path.join(tempDir(), 'runs');
    const { up } = project(`version: 1
ranges: { dev: 22110-22119 }
environments:
  dev:
    services:
      flaky: { cmd: node ${FIX}/exit-with.mjs 1 ${counter} 3, ports: 0, restart: on-failure }
`);
    const berth = up();
    expect((await berth.exit).code).toBe(0);
    const notes = berth.lines.filter((line) => line.includes('restarting in'));
    expect(notes).toEqual([
      'berth │ flaky: exited with code 1; restarting in 250 ms',
      'berth │ flaky: exited with code 1; restarting in 500 ms',
    ]);
    expect(readFileSync(counter, 'utf8')).toBe('3');
  });

  it('--only runs the named services and what they depend on; write_env is written before start and removed at the end', async () => {
    const { up, cwd } = project(`version: 1
ranges: { dev: 22120-22129 }
environments:
  dev:
    services:
      db: { cmd: ${serve} }
      api: { cmd: ${serve}, depends_on: [db], write_env: "out/.env.\${env}" }
      web: { cmd: ${serve} }
`);
    const berth = up('--only', 'api');
    await berth.line(/api ready/);
    expect(readFileSync(path.join(cwd, 'out', '.env.dev'), 'utf8')).toBe('# written by berth for proj/dev#1 — removed when the instance stops; do not edit\nDB_PORT=22120\nAPI_PORT=22121\nWEB_PORT=22122\n');
    berth.child.kill('SIGINT');
    await berth.exit;
    expect(existsSync(path.join(cwd, 'out', '.env.dev'))).toBe(false);
    expect(berth.lines.some((line) => line.startsWith('web '))).toBe(false);
  });
});

describe('berth up: readiness, a second Ctrl-C, colour', () => {
  it('ready: { http } waits for a 2xx; one that never comes fails the service after ready_timeout', async () => {
    const { up } = project(`version: 1
ranges: { dev: 22140-22149 }
environments:
  dev:
    services:
      good: { cmd: node ${FIX}/http.mjs, ready: { http: /health } }
      bad: { cmd: node ${FIX}/http.mjs, ready: { http: /missing }, ready_timeout: 600ms }
`);
    const berth = up();
    await berth.line(/good ready on 22140/);
    await berth.line(/bad: not ready after 600 ms: GET \/missing on 127\.0\.0\.1:22141 and \[::1\]:22141 never answered 2xx\/3xx: last answer 404 from 127\.0\.0\.1:22141/);
    await berth.line(/bad failed: not ready after 600 ms/);
    berth.child.kill('SIGINT');
    expect((await berth.exit).code).toBe(0);
  });

  it('a second Ctrl-C kills at once, without waiting for stop_timeout', async () => {
    const { up } = project(`version: 1
ranges: { dev: 22150-22159 }
environments:
  dev:
    services:
      stubborn: { cmd: node ${FIX}/ignore-term.mjs, ports: 0, ready: { log: running }, stop_timeout: 60s }
`);
    const berth = up();
    await berth.line(/stubborn ready/);
    berth.child.kill('SIGINT');
    await berth.line(/ignoring SIGTERM/);
    const second = Date.now();
    berth.child.kill('SIGINT');
    expect((await berth.exit).code).toBe(1);
    expect(Date.now() - second).toBeLessThan(5000);
    expect(berth.lines).toContain('berth    │ SIGINT again: killing every service');
  });

  it('colours names when asked (FORCE_COLOR, which beats NO_COLOR as in Node) and not with NO_COLOR alone', async () => {
    const yaml = `version: 1
ranges: { dev: 22160-22169 }
environments:
  dev:
    services:
      one: { cmd: node ${FIX}/exit-with.mjs 0, ports: 0 }
`;
    const { cwd, env } = project(yaml);
    const coloured = startUp([], { cwd, env: { ...env, FORCE_COLOR: '1', NO_COLOR: '' } });
    await coloured.exit;
    expect(coloured.lines.find((line) => line.includes('run 1'))).toMatch(/^\u001b\[\d+mone   │ \u001b\[0mrun 1$/);
    const both = startUp([], { cwd, env: { ...env, FORCE_COLOR: '1', NO_COLOR: '1' } });
    await both.exit;
    expect(both.lines.find((line) => line.includes('run 1'))).toMatch(/^\u001b\[\d+mone   │ \u001b\[0mrun 1$/);
    const plain = startUp([], { cwd, env: { ...env, NO_COLOR: '1' } });
    await plain.exit;
    expect(plain.lines).toContain('one   │ run 1');
  });
});

describe('berth gc after berth and its watchdog were both killed', () => {
  for (const [first, lost] of [[null, false], ['ports', false], ['reserve', false], ['ports', true]] as const) it(`ends the process groups the dead berth left, recorded in its lease${first ? `, after \`berth ${first}\` reclaimed the lease` : ', and reclaims the lease'}${lost ? ' and registry.json was then lost' : ''}`, async () => {
    const range = lost ? '22200-22209' : { none: '22170-22179', ports: '22180-22189', reserve: '22190-22199' }[first ?? 'none'];
    const { up, leases, env, cwd } = project(`version: 1
ranges: { dev: ${range} }
environments:
  dev:
    services:
      web: { cmd: ${serve} }
      tree: { cmd: 'sleep 1000 & echo "pid $!"; wait', shell: true, ports: 0, ready: { log: pid } }
`);
    const berth = up();
    await berth.line(/web ready/);
    const sleeper = Number((await berth.line(/^tree +│ pid /)).split(' ').pop());
    const web = await waitFor(() => findPid('serve.mjs', berth.child.pid as number));
    await waitFor(() => (leases()[0]?.groups?.length ?? 0) === 2, 3000, 'both groups recorded in the lease');
    const groups = (leases()[0]?.groups ?? []).map((group) => group.pgid);
    const watchdog = await waitFor(() => findPid('watchdog.sh', berth.child.pid as number));

    process.kill(watchdog, 'SIGKILL');
    berth.child.kill('SIGKILL');
    await berth.exit;
    try {
      await waitFor(() => !alive(watchdog), 1000, 'the watchdog to be gone');
      expect([alive(web), alive(sleeper)]).toEqual([true, true]); // orphans: nothing else will end them

      if (first) {
        // Another command reclaims the stale lease first: its groups must not be forgotten.
        expect((await runCli([first], { cwd, env })).code).toBe(0);
        expect(leases().filter((lease) => lease.owner.pid === berth.child.pid)).toEqual([]);
        expect([alive(web), alive(sleeper)]).toEqual([true, true]);
      }
      // The registry is deleted after the reclaim: the groups are still known from their own copy.
      if (lost) rmSync(path.join(env.BERTH_HOME, 'registry.json'));
      const gc = await runCli(['gc'], { cwd, env });
      expect(gc.stdout).toMatch(
        first
          ? /^ended 2 leftover process groups \(\d+, \d+\) of proj\/dev#1 \(lease [0-9a-f]{8}, reclaimed [\d-]+ [\d:]+\)\n$/
          : /^reclaimed proj\/dev#1 \(lease [0-9a-f]{8}, owner pid \d+ is gone\); ended 2 leftover process groups \(\d+, \d+\)\n$/,
      );
      expect((await runCli(['gc'], { cwd, env })).stdout).toBe('no stale leases\n');
      expect([alive(web), alive(sleeper)]).toEqual([false, false]);
      expect(leases().filter((lease) => !lease.reserved)).toEqual([]);
    } finally {
      // This test made orphans on purpose: should gc not have ended them, end them here.
      for (const target of [...groups.map((pgid) => -pgid), sleeper]) {
        try {
          process.kill(target, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
  });
});

describe('berth up and a corrupt registry', () => {
  it('a running berth re-registers its lease after the registry was set aside', async () => {
    const { up, leases, env } = project(`version: 1
ranges: { dev: 22130-22139 }
environments:
  dev:
    services:
      web: { cmd: ${serve} }
`);
    const berth = up();
    await berth.line(/web ready/);
    const [lease] = leases();
    writeFileSync(path.join(env.BERTH_HOME, 'registry.json'), 'not json at all');
    await waitFor(() => leases().some((entry) => entry.id === lease?.id), 8000, 'the lease to be registered again');
    expect(readdirSync(env.BERTH_HOME).some((name) => name.startsWith('registry.json.corrupt-'))).toBe(true);
    expect(berth.stderr()).toContain('was not a valid registry; moved it to');
    berth.child.kill('SIGINT');
    expect((await berth.exit).code).toBe(0);
    expect(leases()).toEqual([]);
  });
});

/** The pid of a descendant of `ancestor` whose command line contains `marker`. */
function findPid(marker: string, ancestor: number): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (!cmdline.includes(marker)) continue;
      let pid = Number(entry);
      for (let depth = 0; depth < 10 && pid > 1; depth++) {
        if (pid === ancestor) return Number(entry);
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        pid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      }
    } catch {
      // gone
    }
  }
  return undefined;
}
