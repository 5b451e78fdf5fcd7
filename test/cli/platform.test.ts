import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, ROOT, runNode } from '../helpers/processes.js';

// This file's ports: none (29700-29799 reserved for it).

/** Makes this process look like Windows before berth's entry runs. */
const FAKE_WINDOWS = 'data:text/javascript,Object.defineProperty(process, "platform", { value: "win32" })';

/**
 * Module hooks (import, require and the bin's own chunk loader, which compiles each chunk
 * through vm.Script) that refuse to load the CLI's commands (src/cli/main.ts:
 * `cli/main.js` from tsc, `chunks/main-HASH.js` in the bundle), so a berth that loaded them
 * before checking the platform fails with another code and message.
 */
const REFUSE_COMMANDS = `data:text/javascript,${encodeURIComponent(`
import Module, { register } from 'node:module';
import vm from 'node:vm';
const refused = (specifier) => specifier.endsWith('/cli/main.js') || (specifier.includes('/chunks/main-') && specifier.endsWith('.js'));
register('data:text/javascript,' + encodeURIComponent(\`
export async function resolve(specifier, context, next) {
  if ((\${refused.toString()})(specifier)) throw new Error('the CLI loaded its commands: ' + specifier);
  return next(specifier, context);
}\`));
// The bundled bin is CommonJS: its chunks come through require().
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (specifier, ...rest) {
  if (refused(specifier)) throw new Error('the CLI loaded its commands: ' + specifier);
  return resolveFilename.call(this, specifier, ...rest);
};
const Script = vm.Script;
vm.Script = class extends Script {
  constructor(source, options = {}) {
    if (refused(options.filename ?? '')) throw new Error('the CLI loaded its commands: ' + options.filename);
    super(source, options);
  }
};
`)}`;

const MESSAGE = 'berth needs a POSIX system (Linux or macOS); on Windows run it inside WSL\n';

describe('platforms', () => {
  it.each([[['ps']], [['up', 'dev']], [['--version']], [[]]])('on Windows, berth %j exits 2 at once with one line pointing to WSL', async (args) => {
    const run = await runNode(['--import', FAKE_WINDOWS, '--import', REFUSE_COMMANDS, CLI, ...args], { cwd: ROOT });
    expect(run).toMatchObject({ code: 2, stdout: '', stderr: MESSAGE });
  });

  it('the hook does refuse the commands: without the fake platform the same berth fails to load them', async () => {
    const run = await runNode(['--import', REFUSE_COMMANDS, CLI, '--version'], { cwd: ROOT });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('the CLI loaded its commands');
  });

  it('runs on this system', async () => {
    const run = await runNode([CLI, '--version'], { cwd: ROOT });
    expect(run).toMatchObject({ code: 0, stdout: `${JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version}\n` });
  });

  it('package.json says which systems npm may install berth on', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { os?: string[] };
    expect(pkg.os).toEqual(['linux', 'darwin']);
  });
});
