import { constants } from 'node:os';
import * as v from 'valibot';
import { DURATION_PATTERN, MAX_DURATION_MS, parseDuration } from './duration.js';

/** The longest a Node timer waits (2^31 - 1 ms), as a duration. */
const MAX_DURATION_TEXT = '596h31m23.647s';
const withinTimer = (value: unknown): boolean => (parseDuration(value) ?? 0) <= MAX_DURATION_MS;

/**
 * The shape of ports.yaml. Types and keys only: what needs the whole file to judge (range
 * names, cycles, references, capacity) is checked by the validators in `validators/`.
 * The JSON Schema in `schema/ports.schema.json` is generated from this definition.
 */

export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
const NAME_HINT = 'letters, digits, "-" and "_", starting with a letter or digit';

export const SIGNALS = Object.keys(constants.signals).filter((name) => name !== 'SIGKILL' && name !== 'SIGSTOP');

const duration = (key: string) => {
  return v.union(
    [
      v.pipe(v.string(), v.regex(DURATION_PATTERN, message), v.check((value: string) => withinTimer(value), message)),
      v.pipe(v.number(), v.minValue(0, message), v.check((value: number) => withinTimer(value), message)),
    ],
    message,
  );
  function message(issue: v.BaseIssue<unknown>): string {
    if (!withinTimer(issue.input)) return `${key}: ${JSON.stringify(issue.input)} is longer than berth can wait (at most ${MAX_DURATION_TEXT})`;
    return `${key}: bad duration ${JSON.stringify(issue.input)}: write 500ms, 5s, 1m30s or a number of seconds`;
  }
};

const stringList = (key: string) =>
  v.array(v.string(`each item of ${key} must be a string`), `${key} must be a list of strings`);

/** `user:` / `group:`: a name or a numeric id (YAML reads `user: 999` as a number). */
const account = (key: 'user' | 'group', what: string) =>
  v.union(
    [
      v.pipe(
        v.string(),
        v.nonEmpty(`${key} is empty: give ${what}, or leave ${key}: out`),
        v.regex(/^[^\s:]*$/, (issue) => `${key} ${JSON.stringify(issue.input)} is not ${what}${key === 'user' && String(issue.input).includes(':') ? ' (give the group as `group:`)' : ''}`),
      ),
      v.pipe(v.number(), v.integer(`${key} must be ${what}`), v.minValue(0, `${key} must be ${what}`)),
    ],
    `${key} must be ${what}`,
  );

const rangeRefs = v.array(
  v.union([v.string(), v.number()], 'each range is a name from `ranges:` or a literal like "6000-6099"'),
  'ranges must be a list, e.g. [dev, dev2] or ["6000-6099"]',
);

export const ServiceSchema = v.strictObject({
  cmd: v.union(
    [
      v.pipe(v.string(), v.nonEmpty('cmd is empty'), v.regex(/\S/, 'cmd is blank: give the command to run')),
      v.pipe(
        v.array(v.string('each item of cmd must be a string')),
        v.minLength(1, 'cmd is an empty list'),
        v.check((argv) => /\S/.test(argv[0] ?? ''), 'cmd: the first item (the program) is blank'),
      ),
    ],
    'cmd must be a string or a list of strings',
  ),
  shell: v.optional(v.boolean('shell must be true or false')),
  cwd: v.optional(v.string('cwd must be a path')),
  user: v.optional(account('user', 'a user name or a numeric uid')),
  group: v.optional(account('group', 'a group name or a numeric gid')),
  ports: v.optional(
    v.union(
      [
        v.pipe(
          v.number(),
          v.integer('ports must be a whole number'),
          v.minValue(0, (issue) => `ports must be 0 or more, not ${String(issue.input)}`),
          v.maxValue(65535, 'ports must be at most 65535'),
        ),
        v.array(v.pipe(v.string('each port name must be a string'), v.regex(NAME_PATTERN, `a port name uses ${NAME_HINT}`))),
      ],
      'ports must be a count (0, 1, 2, ...) or a list of names like [http, ws]',
    ),
  ),
  env: v.optional(
    v.record(
      v.string(),
      v.union([v.string(), v.number(), v.boolean()], 'an env value must be a string, number or boolean'),
      'env must be a mapping of NAME: value',
    ),
  ),
  env_file: v.optional(
    v.union([v.string(), v.array(v.string('each env_file must be a path'))], 'env_file must be a path or a list of paths'),
  ),
  write_env: v.optional(v.pipe(v.string('write_env must be a path'), v.nonEmpty('write_env is empty: give a path, like .env.dev${instance}.local'))),
  templates: v.optional(
    v.array(
      v.strictObject(
        {
          from: v.pipe(v.string('templates[].from must be a path'), v.nonEmpty('templates[].from is empty')),
          to: v.pipe(v.string('templates[].to must be a path'), v.nonEmpty('templates[].to is empty')),
        },
        'each template is { from: PATH, to: PATH }',
      ),
      'templates must be a list of { from: PATH, to: PATH }',
    ),
  ),
  ready: v.optional(
    v.union(
      [
        v.picklist(['port', 'none']),
        v.strictObject({
          http: v.optional(v.string('ready.http must be a path like /health')),
          log: v.optional(v.string('ready.log must be the text to wait for')),
          exec: v.optional(v.string('ready.exec must be a command, like "pg_isready -p ${self.port}"')),
        }),
      ],
      'ready must be port, none, { http: /path }, { log: "text" } or { exec: "command" }',
    ),
  ),
  ready_timeout: v.optional(duration('ready_timeout')),
  depends_on: v.optional(stringList('depends_on')),
  restart: v.optional(v.picklist(['never', 'on-failure', 'always'], 'restart must be never, on-failure or always')),
  max_restarts: v.optional(
    v.pipe(v.number('max_restarts must be a number'), v.integer('max_restarts must be a whole number'), v.minValue(0, 'max_restarts must be 0 or more')),
  ),
  stop_signal: v.optional(
    v.pipe(
      v.string('stop_signal must be a signal name like SIGTERM'),
      v.check((name) => SIGNALS.includes(name) || SIGNALS.includes(`SIG${name}`), (issue) => `unknown stop_signal ${JSON.stringify(issue.input)}: use e.g. SIGTERM, SIGINT, SIGQUIT`),
    ),
  ),
  stop_timeout: v.optional(duration('stop_timeout')),
  watch: v.optional(stringList('watch')),
  watch_ignore: v.optional(stringList('watch_ignore')),
  watch_debounce: v.optional(duration('watch_debounce')),
  ranges: v.optional(rangeRefs),
});

export const EnvironmentSchema = v.strictObject({
  ranges: v.optional(rangeRefs),
  services: v.record(
    v.pipe(v.string(), v.regex(NAME_PATTERN, (issue) => `service name ${JSON.stringify(issue.input)} must use ${NAME_HINT}`)),
    ServiceSchema,
    'services must be a mapping of name: { cmd: ... }',
  ),
});

export const PortsFileSchema = v.strictObject({
  version: v.literal(1, (issue) => (issue.input === undefined ? 'version is required: add `version: 1`' : `version must be 1, not ${JSON.stringify(issue.input)}`)),
  project: v.optional(v.pipe(v.string('project must be a name'), v.regex(NAME_PATTERN, `project must use ${NAME_HINT}`))),
  ranges: v.optional(
    v.record(
      v.pipe(v.string(), v.regex(NAME_PATTERN, (issue) => `range name ${JSON.stringify(issue.input)} must use ${NAME_HINT}`)),
      v.union([v.string(), v.number()], 'a range is written FIRST-LAST, e.g. 5001-5099'),
      'ranges must be a mapping of name: FIRST-LAST',
    ),
  ),
  environments: v.record(v.pipe(v.string(), v.regex(NAME_PATTERN, (issue) => `environment name ${JSON.stringify(issue.input)} must use ${NAME_HINT}`)), EnvironmentSchema, 'environments must be a mapping of name: { services: ... }'),
});

/** The keys each kind of mapping accepts, for "did you mean" on unknown keys. */
export const KNOWN_KEYS = {
  file: Object.keys(PortsFileSchema.entries),
  environment: Object.keys(EnvironmentSchema.entries),
  service: Object.keys(ServiceSchema.entries),
  ready: ['http', 'log', 'exec'],
  template: ['from', 'to'],
};
