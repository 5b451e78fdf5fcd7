import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Lease } from '../../src/store/lease.js';
import { alive, startUp } from '../helpers/berth-up.js';
import { ROOT, runCli, waitFor } from '../helpers/processes.js';
import { projectWith, tempDir } from '../helpers/temp.js';

// This file's ports: 30000-30499.

const FIX = path.join(ROOT, 'test', 'fixtures', 'serve-env.mjs');

function project(yaml: string, files: Record<string, string | Buffer> = {}) {
  const cwd = projectWith(yaml);
  for (const [name, content] of Object.entries(files)) writeFileSync(path.join(cwd, name), content);
  const home = tempDir('berth-home-');
  const berth = (args: string[], extra: Record<string, string> = {}) => runCli(args, { cwd, env: { BERTH_HOME: home, ...extra }, timeoutMs: 30_000 });
  const leases = async () => (JSON.parse((await berth(['ports', '--json'])).stdout) as { leases: Lease[] }).leases;
  const file = (name: string) => path.join(cwd, name);
  const written = () => (existsSync(path.join(home, 'written')) ? readdirSync(path.join(home, 'written')) : []);
  return { cwd, home, berth, leases, file, written };
}

async function answer(port: number): Promise<{ env: Record<string, string>; file: string | null }> {
  const response = await fetch(`http://127.0.0.1:${port}/`);
  return (await response.json()) as { env: Record<string, string>; file: string | null };
}

/** Lines of stderr, without blank ones. */
const lines = (text: string) => text.split('\n').filter((line) => line !== '');

describe('a file berth did not write is never changed', () => {
  it('write_env pointing at the user\'s own .env: up and up -d are exit 2, nothing starts, no lease stays; validate, gc, down leave it byte for byte', async () => {
    const mine = Buffer.from('# my settings\nSECRET="s3cr3t"\r\nexport TOKEN=abc\n\u00e9\n');
    const marks = path.join(tempDir(), 'started');
    const p = project(
      `version: 1
ranges: { dev: 30000-30009 }
environments:
  dev:
    services:
      api: { cmd: node ${FIX}, write_env: .env, env: { STARTED_MARK: "${marks}" } }
`,
      { '.env': mine },
    );
    try {
      expect((await p.berth(['validate'])).code).toBe(0);
      for (const args of [['up', '--no-tui'], ['up', '-d']]) {
        const result = await p.berth(args);
        expect(result.code).toBe(2);
        expect(lines(result.stderr)).toEqual([expect.stringMatching(/^berth: service api: write_env .*\/\.env exists and berth did not write it .*berth never overwrites your files/)]);
        expect(await p.leases()).toEqual([]);
      }
      expect((await p.berth(['gc'])).code).toBe(0);
      await p.berth(['down', '--all']);
      expect(readFileSync(p.file('.env')).equals(mine)).toBe(true);
      expect(existsSync(marks)).toBe(false);
      expect(p.written()).toEqual([]);
    } finally {
      await p.berth(['down', '--all']);
    }
  });
});

describe('env_file is read, as docker compose reads it', () => {
  it('quotes, export, comments and list order reach the child; env: beats berth\'s variables, which beat env_file, which beats berth\'s own environment', async () => {
    const envFile = [
      '# the shared settings',
      'export QUOTED="two words"',
      "SINGLE='kept ${FROM_OUTSIDE} as is'",
      'SHARED=env-file   # a comment',
      'PORT=1',
      'API_PORT=2',
      'BERTH_ENV=from-file',
      'FROM_BERTH_ENV=env-file',
      'LATER=first',
      'INTERP=${FROM_OUTSIDE}-x',
      '',
    ].join('\n');
    const p = project(
      `version: 1
ranges: { dev: 30010-30019 }
environments:
  dev:
    services:
      api:
        cmd: node ${FIX}
        env_file: [.env, config/.env.override]
        env: { SHARED: service-env, FROM_SERVICE_ENV: "\${api.port}" }
`,
      { '.env': envFile },
    );
    (await import('node:fs')).mkdirSync(p.file('config'));
    writeFileSync(p.file('config/.env.override'), 'LATER=second\n');
    try {
      const up = await p.berth(['up', '-d'], { FROM_BERTH_ENV: 'berth', SHARED: 'berth', FROM_OUTSIDE: 'outside', ONLY_BERTH: 'berth' });
      expect(up.code, up.stderr).toBe(0);
      const { env } = await answer(30010);
      expect(env).toMatchObject({
        QUOTED: 'two words',
        SINGLE: 'kept ${FROM_OUTSIDE} as is',
        SHARED: 'service-env',
        PORT: '30010',
        API_PORT: '30010',
        BERTH_ENV: 'dev',
        FROM_BERTH_ENV: 'env-file',
        LATER: 'second',
        INTERP: 'outside-x',
        ONLY_BERTH: 'berth',
        FROM_SERVICE_ENV: '30010',
      });
    } finally {
      await p.berth(['down', '--all']);
    }
    expect(readFileSync(p.file('.env'), 'utf8')).toBe(envFile);
  });

  it('the old meaning: a missing env_file, or one an older berth wrote, is exit 2 at its line and column, naming write_env; no lease taken', async () => {
    const yaml = `version: 1
ranges: { dev: 30020-30029 }
environments:
  dev:
    services:
      web:
        cmd: node ${FIX}
        env_file: .env.local
`;
    const missing = project(yaml);
    const message = 'ports.yaml:8:19: env_file ".env.local" does not exist — env_file is now READ (as in docker compose); to have berth write the ports into a file, use write_env: .env.local';
    for (const args of [['validate'], ['up', '--no-tui'], ['up', '-d']]) {
      const result = await missing.berth(args);
      expect(result.code).toBe(2);
      expect(lines(result.stderr)[0]).toBe(message);
    }
    expect(await missing.leases()).toEqual([]);

    const old = project(yaml, { '.env.local': '# Written by berth for proj/dev#1; rewritten at every start.\nWEB_PORT=30020\n' });
    const result = await old.berth(['up', '-d']);
    expect(result.code).toBe(2);
    expect(lines(result.stderr)[0]).toBe(
      'ports.yaml:8:19: env_file ".env.local" was written by berth (its first line says so) — env_file is now READ (as in docker compose); to have berth write the ports into a file, use write_env: .env.local',
    );
    expect(await old.leases()).toEqual([]);
  });
});

const perInstance = (range: string, writeEnv: string) => `version: 1
ranges: { dev: ${range} }
environments:
  dev:
    services:
      api: { cmd: node ${FIX} }
      web:
        cmd: node ${FIX}
        depends_on: [api]
        write_env: "${writeEnv}"
        env: { READ_FILE: "${writeEnv}", VITE_API_URL: "http://127.0.0.1:\${api.port}" }
`;

describe('write_env', () => {
  it('three instances at once: each file holds its own instance\'s ports, each service read its own; down --all removes all three', async () => {
    const p = project(perInstance('30100-30199', '.env.dev${instance}.local'));
    try {
      const ups = await Promise.all([1, 2, 3].map(() => p.berth(['up', '-d'])));
      for (const up of ups) expect(up.code, up.stderr).toBe(0);
      const leases = await p.leases();
      expect(leases.map((lease) => lease.instance).sort()).toEqual([1, 2, 3]);
      for (const lease of leases) {
        const [api, web] = [lease.services.api?.[0], lease.services.web?.[0]] as [number, number];
        const text = readFileSync(p.file(`.env.dev${lease.instance}.local`), 'utf8');
        expect(text).toBe(
          `# written by berth for proj/dev#${lease.instance} — removed when the instance stops; do not edit\nAPI_PORT=${api}\nWEB_PORT=${web}\nREAD_FILE=.env.dev${lease.instance}.local\nVITE_API_URL=http://127.0.0.1:${api}\n`,
        );
        const served = await answer(web);
        expect(served.file).toBe(text);
        expect(served.env.VITE_API_URL).toBe(`http://127.0.0.1:${api}`);
      }
      const down = await p.berth(['down', '--all']);
      expect(down.code, down.stderr).toBe(0);
      for (const instance of [1, 2, 3]) expect(existsSync(p.file(`.env.dev${instance}.local`))).toBe(false);
      expect(p.written()).toEqual([]);
    } finally {
      await p.berth(['down', '--all']);
    }
  });

  it('one path for two instances: the second is exit 2 pointing to ${instance}; the first runs on with its file intact', async () => {
    const p = project(perInstance('30200-30209', '.env.shared'));
    try {
      expect((await p.berth(['up', '-d'])).code).toBe(0);
      const before = readFileSync(p.file('.env.shared'), 'utf8');
      const second = await p.berth(['up', '-d']);
      expect(second.code).toBe(2);
      expect(lines(second.stderr)).toEqual([expect.stringMatching(/^berth: service web: write_env .*\/\.env\.shared is written by proj\/dev#1, which is running .*use \$\{instance\} in the path$/)]);
      expect((await p.leases()).map((lease) => lease.instance)).toEqual([1]);
      expect(readFileSync(p.file('.env.shared'), 'utf8')).toBe(before);
      const [lease] = await p.leases();
      expect((await answer(lease?.services.web?.[0] as number)).file).toBe(before);
    } finally {
      await p.berth(['down', '--all']);
    }
    expect(existsSync(p.file('.env.shared'))).toBe(false);
  });

  it('berth gc removes the file of a berth that was killed, when it is still as berth wrote it', async () => {
    const p = project(perInstance('30210-30219', '.env.dev${instance}.local'));
    try {
      const up = await p.berth(['up', '-d']);
      expect(up.code, up.stderr).toBe(0);
      const pid = Number(/berth pid (\d+)/.exec(up.stdout)?.[1]);
      process.kill(pid, 'SIGKILL');
      await waitFor(() => !alive(pid), 5000, `berth ${pid} to die`);
      expect(existsSync(p.file('.env.dev1.local'))).toBe(true);
      const gc = await p.berth(['gc']);
      expect(gc.stdout).toContain(`removed ${p.file('.env.dev1.local')} (written by proj/dev#1, whose berth is gone)`);
      expect(existsSync(p.file('.env.dev1.local'))).toBe(false);
      expect(p.written()).toEqual([]);
    } finally {
      await p.berth(['down', '--all']);
      await p.berth(['gc']);
    }
  });
});

describe('templates', () => {
  const yaml = `version: 1
ranges: { dev: 30300-30309 }
environments:
  dev:
    services:
      api:
        cmd: node ${FIX}
        cwd: app
        templates: [{ from: conf.json.in, to: "out/conf.\${instance}.json" }]
`;
  const template = '{\n  "api": ${api.port},\n  "instance": ${instance},\n  "literal": "$${kept}"\n}\n';

  it('renders the output before start, records it under BERTH_HOME, removes it on stop', async () => {
    const p = project(yaml);
    (await import('node:fs')).mkdirSync(p.file('app'));
    writeFileSync(p.file('app/conf.json.in'), template);
    try {
      const up = await p.berth(['up', '-d']);
      expect(up.code, up.stderr).toBe(0);
      expect(JSON.parse(readFileSync(p.file('app/out/conf.1.json'), 'utf8'))).toEqual({ api: 30300, instance: 1, literal: '${kept}' });
      const [record] = p.written();
      expect(JSON.parse(readFileSync(path.join(p.home, 'written', record as string), 'utf8'))).toMatchObject({ path: p.file('app/out/conf.1.json'), kind: 'template', label: 'proj/dev#1' });
      expect((await p.berth(['down', '--all'])).code).toBe(0);
      expect(existsSync(p.file('app/out/conf.1.json'))).toBe(false);
      expect(p.written()).toEqual([]);
    } finally {
      await p.berth(['down', '--all']);
    }
  });

  it('refuses a file of the user\'s at `to`: exit 2, file untouched, no lease', async () => {
    const p = project(yaml);
    const fs = await import('node:fs');
    fs.mkdirSync(p.file('app/out'), { recursive: true });
    writeFileSync(p.file('app/conf.json.in'), template);
    writeFileSync(p.file('app/out/conf.1.json'), '{"mine": true}\n');
    try {
      const up = await p.berth(['up', '-d']);
      expect(up.code).toBe(2);
      expect(lines(up.stderr)).toEqual([expect.stringMatching(/^berth: service api: template output .*conf\.1\.json exists and berth did not write it/)]);
      expect(readFileSync(p.file('app/out/conf.1.json'), 'utf8')).toBe('{"mine": true}\n');
      expect(await p.leases()).toEqual([]);
    } finally {
      await p.berth(['down', '--all']);
    }
  });
});

describe('ports.yaml reloaded while berth up runs', () => {
  it('a write_env added that points at a user\'s file: said, that service not started, the file untouched; a fixed edit writes and starts it', async () => {
    const yaml = (web: string) => `version: 1
ranges: { dev: 30450-30459 }
environments:
  dev:
    services:
      api: { cmd: node ${FIX} }
      web: { cmd: node ${FIX}${web} }
`;
    const p = project(yaml(''), { '.env.mine': 'MINE=1\n' });
    const up = startUp([], { cwd: p.cwd, env: { BERTH_HOME: p.home } });
    try {
      await up.line(/web ready/);
      writeFileSync(p.file('ports.yaml'), yaml(', write_env: .env.mine'));
      await up.line(/service web: write_env .*\.env\.mine exists and berth did not write it/);
      expect(readFileSync(p.file('.env.mine'), 'utf8')).toBe('MINE=1\n');
      writeFileSync(p.file('ports.yaml'), yaml(', write_env: ".env.dev\${instance}.local"'));
      await waitFor(() => up.lines.filter((line) => /web ready/.test(line)).length === 2, 10_000, 'web to start again');
      expect(readFileSync(p.file('.env.dev1.local'), 'utf8')).toContain('WEB_PORT=30451');
      up.child.kill('SIGINT');
      expect((await up.exit).code).toBe(0);
      expect(existsSync(p.file('.env.dev1.local'))).toBe(false);
      expect(readFileSync(p.file('.env.mine'), 'utf8')).toBe('MINE=1\n');
    } finally {
      up.child.kill('SIGKILL');
    }
  });
});
