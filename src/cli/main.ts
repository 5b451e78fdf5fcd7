import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { BerthError, ConfigError, EXIT } from '../errors.js';
import { hoistFileOption } from './hoist-file-option.js';
import { internalErrorLine } from './internal-error.js';
import type { CliIo } from './io.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** package.json's version, inlined by the bundler (scripts/build-cli.mjs); read from the file otherwise. */
declare const BERTH_VERSION: string | undefined;

function version(): string {
  if (typeof BERTH_VERSION === 'string') return BERTH_VERSION;
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Runs one berth command line; returns the exit code. Never exits the process itself. */
export async function main(given: readonly string[], io: CliIo): Promise<number> {
  const argv = hoistFileOption(given);
  let code: number = EXIT.ok;
  const run = (action: () => Promise<number>) => async () => {
    code = await action();
  };

  const program = new Command('berth')
    .description('Process supervisor for dev stacks: a block of ports per environment instance.')
    .version(version(), '-V, --version')
    .showHelpAfterError('(berth --help lists the commands)')
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .exitOverride();

  // BERTH_FILE stands in for -f; an explicit -f wins.
  const fileOption = () => new Option('-f, --file <FILE>', 'ports.yaml to use (default: $BERTH_FILE, else ./ports.yaml or ports.yml, or the nearest in a parent folder)').default(io.env.BERTH_FILE || undefined);
  const instanceOption = () => new Option('--instance <N>', 'instance number of the environment');

  program
    .command('up')
    .description('take a block of ports and start every service of an environment, supervised; Ctrl-C stops them all')
    .argument('[ENV]', 'environment (default: the only one, or dev)')
    .addOption(fileOption())
    .addOption(instanceOption())
    .option('--only <SERVICES>', 'comma-separated services to run (with what they depend on)')
    .option('--port <SERVICE=PORT>', "pin a service's first port for this run (repeatable)", collect)
    .option('--no-tui', 'plain prefixed output (the only output in this version)')
    .option('--no-reload', 'do not apply edits of ports.yaml while running')
    .addOption(new Option('--no-color', 'no colour in berth\'s output, and no FORCE_COLOR for the services (up -d runs berth so)').hideHelp())
    .option('-d, --detach', 'run in the background; return once every service is ready (0) or one failed (1)')
    .option('--json', 'with -d: print the instance as JSON')
    .action((env, options) => run(async () => (await import('./commands/up.js')).upCommand(io, env, options, argv))());

  program
    .command('run')
    .description('CI mode: start the services, wait until every one is ready, run CMD with their ports in its environment, stop them all; exit with CMD\'s code')
    .usage('[ENV] [options] -- CMD [ARG...]')
    .argument('[ENV]', 'environment (default: the only one, or dev)')
    .argument('[CMD...]', 'the command, after -- (its options are its own)')
    .addOption(fileOption())
    .addOption(instanceOption())
    .option('--only <SERVICES>', 'comma-separated services to run (with what they depend on)')
    .option('-q, --quiet', "no services' output and no progress on stderr; a failing service's last lines are still shown")
    .action((env: string | undefined, cmd: string[], options) =>
      run(async () => (await import('./commands/run.js')).runCommand(io, [...(env === undefined ? [] : [env]), ...cmd], options, argv))(),
    );

  program
    .command('down')
    .description('stop a running instance of this project gracefully, from any terminal')
    .argument('[ENV]', 'environment')
    .addOption(fileOption())
    .addOption(instanceOption())
    .option('--all', 'every running instance of this project (of ENV, if given)')
    .option('--json', 'one JSON document: { stopped: [{ project, env, instance, exitCode }] }')
    .action((env, options) => run(async () => (await import('./commands/down.js')).downCommand(io, env, options))());

  program
    .command('ps')
    .description('running instances with their services, pids, ports, states and restarts')
    .argument('[ENV]', 'only the instances of this environment')
    .addOption(fileOption())
    .option('--all', 'every instance on this machine, of every project')
    .option('--json', 'one JSON document: { instances: [...] }')
    .action((env, options) => run(async () => (await import('./commands/ps.js')).psCommand(io, env, options))());

  for (const action of ['restart', 'stop', 'start'] as const) {
    const command = program
      .command(action)
      .description(`${action} one service of a running instance${action === 'stop' ? ' (it stays stopped until `berth start`)' : ''}`)
      .argument('<SERVICE>', 'service name')
      .argument('[ENV]', 'environment')
      .addOption(fileOption())
      .addOption(instanceOption())
      .option('--json', 'print the service as JSON');
    if (action !== 'stop') command.option('--wait', 'return once the service is ready (exit 0) or failed (exit 1, with its last lines)');
    command.action((service, env, options) => run(async () => (await import('./commands/service-action.js')).serviceActionCommand(io, action, service, env, options))());
  }

  program
    .command('logs')
    .description('recent output of a service (or of all, prefixed) of a running instance')
    .argument('[SERVICE]', 'service name (default: every service)')
    .argument('[ENV]', 'environment')
    .addOption(new Option('--file <FILE>', 'ports.yaml to use (-f is --follow here)').default(io.env.BERTH_FILE || undefined))
    .addOption(instanceOption())
    .option('-f, --follow', 'keep printing new output')
    .option('--tail <N>', 'lines of each service to start with', '100')
    .option('--json', 'one JSON object per line: { service, stream, line }')
    .action((service, env, options) => run(async () => (await import('./commands/logs.js')).logsCommand(io, service, env, options))());

  program
    .command('top')
    .description('dashboard of every running instance on this machine (q closes it; the stacks keep running)')
    .option('--project NAME', 'show this project\'s instances only (p in the dashboard changes it)')
    .action((options: { project?: string }) => run(async () => (await import('./commands/top.js')).topCommand(io, options.project ? { project: options.project } : {}))());

  program
    .command('validate')
    .description('check ports.yaml; print every error as FILE:LINE:COL: message')
    .addOption(fileOption())
    .option('--json', 'one JSON document: { errors: [{ file, line, col, message }], warnings: [...] }')
    .action((options) => run(async () => (await import('./commands/validate.js')).validateCommand(io, options))());

  program
    .command('ports')
    .description('leases in the store (stale ones marked and reclaimed), conflicts and range use')
    .addOption(fileOption())
    .option('--json', 'one JSON document: { leases, conflicts, ranges }')
    .action((options) => run(async () => (await import('./commands/ports.js')).portsCommand(io, options))());

  program
    .command('reserve')
    .description('hold a block of ports for an environment instance with no supervisor')
    .argument('[ENV]', 'environment (default: the only one, or dev)')
    .addOption(fileOption())
    .addOption(instanceOption())
    .option('--port <SERVICE=PORT>', 'pin a service\'s first port (repeatable)', collect)
    .option('--owner <PID>', 'tie the reservation to this process: it is given back (stale) once PID is gone')
    .option('--json', 'print the lease as JSON')
    .action((env, options) => run(async () => (await import('./commands/reserve.js')).reserveCommand(io, env, options))());

  program
    .command('release')
    .description('give back a reserved (or stale) block, by lease id or environment')
    .argument('[LEASE|ENV]', 'lease id (or a unique prefix), or an environment')
    .addOption(fileOption())
    .addOption(instanceOption())
    .option('--json', 'one JSON document: { released: [lease] }')
    .action((target, options) => run(async () => (await import('./commands/release.js')).releaseCommand(io, target, options))());

  program
    .command('env')
    .description('<SERVICE>_PORT of every service of a running or reserved instance, e.g. eval "$(berth env)"')
    .argument('[ENV]', 'environment (default: the only one, or dev)')
    .addOption(fileOption())
    .addOption(instanceOption())
    .addOption(new Option('--format <FORMAT>', 'output format').choices(['shell', 'dotenv', 'json']).default('shell'))
    .action((env, options) => run(async () => (await import('./commands/env.js')).envCommand(io, env, options))());

  program
    .command('check')
    .description('exit 0 if every port is free, 1 if any is leased or bound')
    .argument('<PORT...>', 'ports, or ranges FIRST-LAST')
    .option('--json', 'one JSON document: { ports: [{ port, free, lease, reason }] }')
    .action((ports, options) => run(async () => (await import('./commands/check.js')).checkCommand(io, ports, options))());

  program
    .command('gc')
    .description('reclaim leases whose owner process is gone')
    .option('--json', 'one JSON document: { reclaimed }')
    .action((options) => run(async () => (await import('./commands/gc.js')).gcCommand(io, options))());

  program
    .command('completion')
    .description('print a shell completion script, e.g. source <(berth completion bash)')
    .addArgument(program.createArgument('<SHELL>', 'shell').choices(['bash', 'zsh', 'fish']))
    .action((shell) => run(async () => (await import('./commands/completion.js')).completionCommand(io, shell))());

  program
    .command('complete', { hidden: true }) // what the completion scripts call: berth complete -- WORDS...
    .argument('[WORDS...]')
    .helpOption(false)
    .allowUnknownOption()
    .action((words: string[]) => run(async () => (await import('./commands/completion.js')).completeCommand(io, program, words))());

  try {
    await program.parseAsync(argv as string[], { from: 'user' });
    return code;
  } catch (error) {
    return reportError(io, error);
  }
}

function reportError(io: CliIo, error: unknown): number {
  if (error instanceof CommanderError) {
    // --help and --version end here too, with exit code 0.
    return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  if (error instanceof ConfigError) {
    io.stderr.write(`${error.message}\n`);
    return error.exitCode;
  }
  if (error instanceof BerthError) {
    io.stderr.write(`berth: ${error.message}\n`);
    return error.exitCode;
  }
  io.stderr.write(`${internalErrorLine(error, io.env)}\n`);
  return EXIT.failed;
}
