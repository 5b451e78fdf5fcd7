// Builds the JSON Schema of ports.yaml from berth's own valibot schema (src/config/schema.ts),
// so editors complete and check the file with exactly the rules berth applies.
import { toJsonSchema } from '@valibot/to-json-schema';

const DESCRIPTIONS = {
  version: 'Schema version of this file; must be 1.',
  project: 'Project name; default: the name of the folder that holds ports.yaml.',
  ranges: 'Named, inclusive port ranges, e.g. dev: 5001-5099.',
  environments: 'Environments by name, each with its services.',
  'environment.ranges': 'Ranges to take the block from, in fallback order: names from `ranges:` or literals like "6000-6099".',
  'environment.services': 'Services by name; declaration order is the order of their ports inside the block.',
  cmd: 'Command: a string split like a shell would (no shell runs), or a list of arguments. ${api.port}, ${self.port}, ${self.ports.NAME}, ${instance}, ${env}, ${project} and ${VAR} are interpolated.',
  shell: 'Run cmd through /bin/sh -c.',
  cwd: 'Working directory, relative to the folder of ports.yaml.',
  user: 'Run the service as this user (a name or a numeric uid) with its groups; berth must run as root unless it is berth\'s own user.',
  group: 'Run the service with this group (a name or a numeric gid) instead of the user\'s own.',
  ports: 'How many consecutive ports (default 1, 0 for none), or their names, e.g. [http, ws].',
  env: 'Environment variables for the service (values are interpolated).',
  env_file: 'Dotenv file(s) READ into the service\'s environment, as in docker compose: a path or a list (later files win), relative to the folder of ports.yaml. A missing file is an error.',
  write_env: 'A dotenv file berth WRITES before start (path relative to cwd, interpolated, e.g. .env.dev${instance}.local): <SERVICE>_PORT and <SERVICE>_PORT_<NAME> of every service, then this service\'s env. Removed when the instance stops; a file berth did not write is never overwritten.',
  templates: 'Files rendered before start: { from, to } relative to cwd; from\'s content and the to path are interpolated like cmd. Removed when the instance stops; a file berth did not write is never overwritten.',
  ready: 'When the service counts as ready: port (default with ports), none, { http: /path } or { log: "text" }.',
  ready_timeout: 'How long to wait for readiness (default 30s).',
  depends_on: 'Services that must be ready before this one starts.',
  restart: 'never (default), on-failure or always; exponential backoff, capped.',
  max_restarts: 'Restarts in a row after which the service is failed.',
  stop_signal: 'Signal sent to the service\'s process group to stop it (default SIGTERM).',
  stop_timeout: 'How long to wait after stop_signal before SIGKILL to the group (default 5s).',
  watch: 'Globs (relative to cwd) whose changes restart the service.',
  watch_ignore: 'Globs not to watch (default: node_modules and .git).',
  watch_debounce: 'Quiet time before a watched change restarts the service (default 200ms).',
  'service.ranges': 'Ranges for a block of this service\'s own, instead of the environment\'s block.',
};

/** The JSON Schema document for ports.yaml. */
export function buildJsonSchema({ PortsFileSchema, SIGNALS }) {
  const schema = toJsonSchema(PortsFileSchema, { errorMode: 'ignore' });
  const env = schema.properties.environments.additionalProperties;
  const service = env.properties.services.additionalProperties;
  service.properties.stop_signal = { type: 'string', enum: [...SIGNALS, ...SIGNALS.map((name) => name.slice(3))] };
  for (const [key, text] of Object.entries(DESCRIPTIONS)) {
    const [owner, name] = key.includes('.') ? key.split('.') : [undefined, key];
    const target = owner === 'environment' ? env.properties[name] : owner === 'service' ? service.properties[name] : schema.properties[name] ?? service.properties[name];
    if (!target) throw new Error(`no property for description ${key}`);
    target.description = text;
  }
  // `x-` keys hold YAML anchors to reuse, as in docker compose files.
  schema.patternProperties = { '^x-': {} };
  return {
    $schema: schema.$schema,
    title: 'berth ports.yaml',
    ...Object.fromEntries(Object.entries(schema).filter(([key]) => key !== '$schema')),
  };
}
