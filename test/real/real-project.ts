import { cpSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startUp, type UpProcess } from '../helpers/berth-up.js';
import { ROOT, runCli, type RunResult } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp.js';
import { MARK_VARIABLE, newMark } from './process-sweep.js';

export const FIXTURES = path.join(ROOT, 'test', 'real', 'fixtures');

export interface PsService {
  name: string;
  state: string;
  pid: number | null;
  ports: number[];
  restarts: number;
  ready: boolean;
  exitCode: number | null;
}

export interface PsInstance {
  project: string;
  env: string;
  instance: number;
  ports: [number, number];
  stale: boolean;
  services: PsService[];
}

export interface RealProject {
  dir: string;
  /** The environment every berth of this project runs with: its own BERTH_HOME and the test's mark. */
  env: Record<string, string>;
  mark: string;
  berth(args: string[], timeoutMs?: number): Promise<RunResult>;
  up(args?: string[]): UpProcess;
  instances(): Promise<PsInstance[]>;
  /** `ps --json` of the only instance: the named service. */
  service(name: string): Promise<PsService | undefined>;
  /** Polls `ps --json` until `check` holds for the service (bounded); fails at once when `up` has ended. */
  waitForService(name: string, check: (service: PsService) => boolean, timeoutMs: number, what: string | (() => string), up?: UpProcess): Promise<PsService>;
}

/**
 * A copy of fixture folders in a fresh temp dir (`copies`: fixture name → folder in the
 * project, '.' for the project root), with the repository's node_modules linked in so
 * node_modules/.bin (nodemon, tsx, vite) is found as in a real project, and ports.yaml.
 */
export function realProject(copies: Record<string, string>, yaml: string): RealProject {
  const dir = path.join(tempDir('berth-real-'), 'proj');
  mkdirSync(dir, { recursive: true });
  for (const [fixture, target] of Object.entries(copies)) cpSync(path.join(FIXTURES, fixture), path.join(dir, target), { recursive: true });
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  writeFileSync(path.join(dir, 'ports.yaml'), yaml);
  const mark = newMark();
  const env = { BERTH_HOME: tempDir('berth-home-'), [MARK_VARIABLE]: mark };
  const berth = (args: string[], timeoutMs?: number) => runCli(args, { cwd: dir, env, timeoutMs });
  const instances = async (): Promise<PsInstance[]> => {
    const result = await berth(['ps', '--json']);
    if (result.code !== 0) throw new Error(`berth ps --json: exit ${result.code}: ${result.stderr}`);
    return (JSON.parse(result.stdout) as { instances: PsInstance[] }).instances;
  };
  const service = async (name: string) => {
    const [only, ...more] = await instances();
    if (more.length > 0) throw new Error(`expected one instance, ps shows ${more.length + 1}`);
    return only?.services.find((each) => each.name === name);
  };
  return {
    dir,
    env,
    mark,
    berth,
    up: (args = []) => startUp(args, { cwd: dir, env }),
    instances,
    service,
    waitForService: async (name, check, timeoutMs, whatText, up) => {
      // Each ps is a node process: poll at a gentle pace, so four stacks polling at once leave
      // the two cores to the services they wait for.
      const what = () => (typeof whatText === 'function' ? whatText() : whatText);
      const deadline = Date.now() + timeoutMs;
      let last: PsService | undefined;
      for (;;) {
        if (up && (up.child.exitCode !== null || up.child.signalCode !== null)) {
          throw new Error(`berth up ended (${up.child.exitCode ?? up.child.signalCode}) while waiting for ${name} ${what()}:\n${up.lines.slice(-10).join('\n')}\n${up.stderr()}`);
        }
        last = await service(name);
        if (last && check(last)) return last;
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${name} ${what()} (ps shows ${JSON.stringify(last)})`);
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
    },
  };
}

/** ports.yaml of one environment `dev` on `range`, with these services (YAML lines, indented by 6). */
export function portsYaml(range: string, services: string, project = 'real'): string {
  return `version: 1
project: ${project}
ranges: { dev: ${range} }
environments:
  dev:
    services:
${services}`;
}

/** The exit of a `berth up`, or an error naming what is still running after `timeoutMs`. */
export async function exitWithin(up: UpProcess, timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`berth up (pid ${up.child.pid}) still running ${timeoutMs} ms later; its last lines:\n${up.lines.slice(-10).join('\n')}`)), timeoutMs);
  });
  try {
    return await Promise.race([up.exit, late]);
  } finally {
    clearTimeout(timer);
  }
}
