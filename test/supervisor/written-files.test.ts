import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { currentIdentity } from '../../src/platform/identity.js';
import type { Lease } from '../../src/store/lease.js';
import { WrittenRecords } from '../../src/store/written-record.js';
import { filesToWrite, writeEnvContent } from '../../src/supervisor/service-env.js';
import { removeOrphanedFiles, WrittenFiles, type FileToWrite } from '../../src/supervisor/written-files.js';
import { validateConfig } from '../../src/config/validate-config.js';
import { parseYamlSource } from '../../src/config/yaml-source.js';
import { tempDir } from '../helpers/temp.js';

function lease(id: string, instance: number, owner = currentIdentity()): Lease {
  return { id, project: 'shop', root: '/x', env: 'dev', instance, ports: null, blocks: [], services: {}, owner, createdAt: new Date().toISOString() };
}

/** The identity of a process that has exited: its lease is stale. */
function deadOwner() {
  const { pid } = spawnSync(process.execPath, ['-e', '0']);
  return { ...currentIdentity(), pid: pid as number, startTime: 1 };
}

function setup() {
  const dir = tempDir();
  const records = new WrittenRecords(path.join(dir, 'home'));
  const env = (content = '# written by berth for shop/dev#1 — removed when the instance stops; do not edit\nAPI_PORT=30000\n'): FileToWrite => ({ path: path.join(dir, '.env.local'), kind: 'write_env', content, service: 'web' });
  const json = (content = '{"api": 30000}\n'): FileToWrite => ({ path: path.join(dir, 'out', 'conf.json'), kind: 'template', content, service: 'web' });
  return { dir, records, env, json };
}

describe('WrittenFiles', () => {
  it('writes, records, and removes on stop what is still as berth wrote it', () => {
    const { records, env, json } = setup();
    const files = new WrittenFiles(records, lease('a1', 1));
    expect(files.write([env(), json()])).toEqual([]);
    expect(readFileSync(json().path, 'utf8')).toBe('{"api": 30000}\n');
    expect(records.read(json().path)).toMatchObject({ lease: 'a1', label: 'shop/dev#1', kind: 'template' });
    expect(files.removeAll()).toEqual([]);
    expect(existsSync(env().path) || existsSync(json().path)).toBe(false);
    expect(records.all()).toEqual([]);
  });

  it('never overwrites a file berth did not write: nothing of the call is written', () => {
    const { records, env, json } = setup();
    writeFileSync(env().path, 'MY_SECRET=1\n');
    const files = new WrittenFiles(records, lease('a1', 1));
    expect(() => files.write([json(), env()])).toThrow(/write_env .*\.env\.local exists and berth did not write it/);
    expect(readFileSync(env().path, 'utf8')).toBe('MY_SECRET=1\n');
    expect(existsSync(json().path)).toBe(false);
    expect(records.all()).toEqual([]);
  });

  it('a template output is berth\'s only while its content has the recorded hash', () => {
    const { records, json } = setup();
    mkdirSync(path.dirname(json().path), { recursive: true });
    writeFileSync(json().path, '{"mine": true}\n');
    expect(() => new WrittenFiles(records, lease('a1', 1)).write([json()])).toThrow(/template output .* exists and berth did not write it/);
    expect(readFileSync(json().path, 'utf8')).toBe('{"mine": true}\n');
  });

  it('a path another running instance writes is refused, naming ${instance}; a gone one\'s is taken over', () => {
    const { records, env } = setup();
    const first = new WrittenFiles(records, lease('a1', 1));
    first.write([env()]);
    expect(() => new WrittenFiles(records, lease('b2', 2)).write([env('# written by berth for shop/dev#2\n')])).toThrow(/written by shop\/dev#1, which is running .*use \$\{instance\} in the path/);
    expect(readFileSync(env().path, 'utf8')).toContain('shop/dev#1');

    const stale = setup();
    new WrittenFiles(stale.records, lease('c3', 1, deadOwner())).write([stale.env()]);
    const next = new WrittenFiles(stale.records, lease('d4', 1));
    next.write([stale.env('# written by berth for shop/dev#1 (new)\n')]);
    expect(stale.records.read(stale.env().path)?.lease).toBe('d4');
  });

  it('leaves a file changed since berth wrote it, and says so', () => {
    const { records, env } = setup();
    const files = new WrittenFiles(records, lease('a1', 1));
    files.write([env()]);
    writeFileSync(env().path, `${readFileSync(env().path, 'utf8')}MY_EDIT=1\n`);
    expect(files.removeAll()).toEqual([`left ${env().path}: it changed since berth wrote it`]);
    expect(readFileSync(env().path, 'utf8')).toContain('MY_EDIT=1');
  });

  it('a folder it cannot write in is one error naming the path; what the call wrote is removed again', () => {
    const { dir, records, env } = setup();
    const blocked = path.join(dir, 'blocked');
    writeFileSync(blocked, 'a file, not a folder\n');
    const files = new WrittenFiles(records, lease('a1', 1));
    const target: FileToWrite = { path: path.join(blocked, 'conf.json'), kind: 'template', content: '{}', service: 'web' };
    expect(() => files.write([env(), target])).toThrow(/template output .*blocked\/conf\.json cannot be written/);
    expect(existsSync(env().path)).toBe(false);
    expect(records.all()).toEqual([]);
  });

  it('rewrites its own files (a reload) and removes those no service writes any more', () => {
    const { records, env, json } = setup();
    const files = new WrittenFiles(records, lease('a1', 1));
    files.write([env(), json()]);
    files.write([env('# written by berth for shop/dev#1\nAPI_PORT=30001\n')]);
    expect(readFileSync(env().path, 'utf8')).toContain('30001');
    expect(existsSync(json().path)).toBe(false);
  });
});

describe('removeOrphanedFiles (berth gc)', () => {
  it('removes the unchanged files of instances whose berth is gone, leaves changed ones and live ones\' files', () => {
    const { dir, records, env, json } = setup();
    new WrittenFiles(records, lease('dead', 1, deadOwner())).write([env(), json()]);
    writeFileSync(json().path, '{"edited": true}\n');
    const live: FileToWrite = { path: path.join(dir, 'live.json'), kind: 'template', content: '{}', service: 'web' };
    new WrittenFiles(records, lease('live', 2)).write([live]);

    const result = removeOrphanedFiles(records);
    expect(result.removed.map((record) => record.path)).toEqual([env().path]);
    expect(result.left).toEqual([{ record: expect.objectContaining({ path: json().path }), reason: 'it changed since berth wrote it' }]);
    expect(existsSync(env().path)).toBe(false);
    expect(readFileSync(json().path, 'utf8')).toBe('{"edited": true}\n');
    expect(existsSync(live.path)).toBe(true);
    expect(records.all().map((record) => record.lease)).toEqual(['live']);
  });
});

describe('what write_env and templates hold', () => {
  it('every service\'s <SERVICE>_PORT and <SERVICE>_PORT_<NAME>, then the service\'s own env, quoted where dotenv needs it', () => {
    const yaml = `version: 1
project: shop
ranges: { dev: 30490-30499 }
environments:
  dev:
    services:
      api: { cmd: node api.js, ports: [http, ws] }
      job-runner: { cmd: node job.js, ports: 0 }
      web-ui:
        cmd: node web.js
        cwd: web
        env: { VITE_API_URL: "http://localhost:\${api.ports.http}", GREETING: "hello world", WS: "ws://localhost:\${api.ports.ws}" }
        write_env: .env.\${env}\${instance}.local
        templates: [{ from: conf.in, to: "out/\${project}.\${self.port}.json" }]
`;
    const config = validateConfig(parseYamlSource(yaml, 'ports.yaml'), { root: '/work/shop', vars: {} }).config!;
    const env = config.environments.get('dev')!;
    const web = env.services.find((service) => service.name === 'web-ui')!;
    const ctx = { config, env, lease: { ...lease('l1', 2), services: { api: [30490, 30491], 'job-runner': [], 'web-ui': [30492] } }, vars: {} };
    expect(writeEnvContent(web, ctx)).toBe(
      [
        '# written by berth for shop/dev#2 — removed when the instance stops; do not edit',
        'API_PORT=30490',
        'API_PORT_HTTP=30490',
        'API_PORT_WS=30491',
        'WEB_UI_PORT=30492',
        'VITE_API_URL=http://localhost:30490',
        "GREETING='hello world'",
        'WS=ws://localhost:30491',
        '',
      ].join('\n'),
    );
    expect(filesToWrite(web, ctx).map((file) => [file.kind, file.path])).toEqual([
      ['write_env', path.join(config.root, 'web', '.env.dev2.local')],
      ['template', path.join(config.root, 'web', 'out', 'shop.30492.json')],
    ]);
  });
});
