import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/validate-config.js';
import { parseYamlSource } from '../../src/config/yaml-source.js';

function check(yaml: string, vars: Record<string, string> = {}, ephemeral: { first: number; last: number } | null = null) {
  return validateConfig(parseYamlSource(yaml, 'ports.yaml'), { root: '/work/shop', vars, ephemeral });
}

/** `LINE:COL: message` of every error. */
function errors(yaml: string, vars: Record<string, string> = {}): string[] {
  return check(yaml, vars)
    .issues.filter((issue) => issue.severity === 'error')
    .map((issue) => `${issue.line}:${issue.col}: ${issue.message}`);
}

const ok = `version: 1
ranges:
  dev: 5001-5099
environments:
  dev:
    ranges: [dev]
    services:
      api: { cmd: node server.js }
`;

describe('a valid file', () => {
  it('loads with defaults applied', () => {
    const { config, issues } = check(ok);
    expect(issues).toEqual([]);
    const api = config?.environments.get('dev')?.services[0];
    expect(config?.project).toBe('shop');
    expect(api).toMatchObject({
      name: 'api',
      cmd: ['node', 'server.js'],
      cwd: '/work/shop',
      portCount: 1,
      ready: { kind: 'port' },
      restart: 'never',
      stopSignal: 'SIGTERM',
      stopTimeoutMs: 5000,
      readyTimeoutMs: 30000,
    });
  });

  it('takes every documented key', () => {
    const { issues, config } = check(`version: 1
project: shop
x-common: &common { restart: on-failure }
ranges: { dev: 5001-5099, front: 8001-8099 }
environments:
  dev:
    ranges: [dev, "6000-6099"]
    services:
      db: { cmd: [postgres, -p, "\${self.port}"], ready: { log: ready to accept }, stop_signal: INT, stop_timeout: 500ms }
      api:
        <<: *common
        cmd: node server.js --db \${db.port}
        cwd: ./backend
        ports: [http, ws]
        env: { LOG_LEVEL: debug, WS: "\${self.ports.ws}", N: 3 }
        ready: { http: /health }
        ready_timeout: 1m
        depends_on: [db]
        max_restarts: 3
        watch: [src/**/*.ts]
        watch_debounce: 1
      web:
        ranges: [front]
        cmd: npx vite --port \${self.port}
        shell: true
        env: { VITE_API_URL: "http://localhost:\${api.port}/\${env}/\${instance}/\${project}" }
        env_file: web/.env.local
`);
    expect(issues).toEqual([]);
    const api = config?.environments.get('dev')?.services.find((service) => service.name === 'api');
    expect(api).toMatchObject({ restart: 'on-failure', portNames: ['http', 'ws'], readyTimeoutMs: 60000, watchDebounceMs: 1000, cwd: '/work/shop/backend' });
    expect(config?.environments.get('dev')?.ranges.map((range) => range.name)).toEqual(['dev', '6000-6099']);
  });
});

describe('every error kind names its line and column', () => {
  it('version', () => {
    expect(errors(ok.replace('version: 1', 'version: 2'))).toEqual(['1:10: version must be 1, not 2']);
    expect(errors(ok.replace('version: 1\n', ''))).toEqual(['1:1: version is required: add `version: 1`']);
  });

  it('unknown keys, with a suggestion', () => {
    expect(errors(ok.replace('version: 1', 'version: 1\nprojct: shop'))).toEqual(['2:1: unknown key "projct" in ports.yaml (did you mean "project"?)']);
    expect(errors(ok.replace('api: { cmd: node server.js }', 'api: { cmd: node server.js, dpends_on: [] }'))).toEqual([
      '8:35: unknown key "dpends_on" in service api (did you mean "depends_on"?)',
    ]);
    expect(errors(ok.replace('ranges: [dev]', 'ranges: [dev]\n    servics: {}'))).toEqual([
      '7:5: unknown key "servics" in environment dev (did you mean "services"?)',
    ]);
    expect(errors(ok.replace('services:', 'servics:'))).toEqual([
      '5:3: environment dev needs `services`',
      '7:5: unknown key "servics" in environment dev (did you mean "services"?)',
    ]);
  });

  it('wrong types', () => {
    expect(errors(ok.replace('cmd: node server.js', 'cmd: 42'))).toEqual(['8:19: cmd must be a string or a list of strings']);
    expect(errors(ok.replace('cmd: node server.js', 'cmd: node, shell: "yes"'))).toEqual(['8:32: shell must be true or false']);
    expect(errors(ok.replace('cmd: node server.js', 'cmd: node, restart: sometimes'))).toEqual(['8:34: restart must be never, on-failure or always']);
  });

  it('missing cmd', () => {
    expect(errors(ok.replace('{ cmd: node server.js }', '{ cwd: . }'))).toEqual(['8:7: service api needs `cmd`']);
  });

  it('ranges outside 1-65535 or reversed', () => {
    expect(errors(ok.replace('dev: 5001-5099', 'dev: 5001-70000'))).toEqual(['3:8: port 70000 in range "5001-70000" is outside 1-65535']);
    expect(errors(ok.replace('dev: 5001-5099', 'dev: 5099-5001'))).toEqual(['3:8: range "5099-5001" is reversed: 5099 is above 5001']);
    expect(errors(ok.replace('dev: 5001-5099', 'dev: fivethousand'))).toEqual(['3:8: "fivethousand" is not a port range: write FIRST-LAST, e.g. 5001-5099']);
    expect(errors(ok.replace('ranges: [dev]', 'ranges: [dev, "0-10"]'))).toEqual(['6:19: port 0 in range "0-10" is outside 1-65535']);
  });

  it('unknown range names', () => {
    expect(errors(ok.replace('ranges: [dev]', 'ranges: [dve]'))).toEqual(['6:14: unknown range "dve" (did you mean "dev"?)']);
    expect(errors(ok.replace('ranges: [dev]', 'ranges: [staging]'))).toEqual(['6:14: unknown range "staging" (named ranges: dev)']);
  });

  it('named ranges that overlap', () => {
    expect(errors(ok.replace('dev: 5001-5099', 'dev: 5001-5099\n  dev2: 5099-5199'))).toEqual(['4:9: range dev2 (5099-5199) overlaps range dev (5001-5099)']);
  });

  it('ports negative, or names given twice', () => {
    expect(errors(ok.replace('cmd: node server.js', 'cmd: node, ports: -1'))).toEqual(['8:32: ports must be 0 or more, not -1']);
    expect(errors(ok.replace('cmd: node server.js', 'cmd: node, ports: [http, ws, http]'))).toEqual(['8:43: port name "http" is given twice']);
  });

  it('depends_on unknown', () => {
    expect(errors(ok.replace('cmd: node server.js', 'cmd: node, depends_on: [bd]'))).toEqual([
      '8:38: service api depends on unknown service "bd" in environment dev',
    ]);
  });

  it('depends_on cyclic, printing the cycle', () => {
    const yaml = `version: 1
ranges: { dev: 5001-5099 }
environments:
  dev:
    services:
      api: { cmd: a, depends_on: [db] }
      db: { cmd: b, depends_on: [cache] }
      cache: { cmd: c, depends_on: [api] }
      self_loop: { cmd: d, depends_on: [self_loop] }
`;
    expect(errors(yaml)).toEqual(['8:37: dependency cycle: api → db → cache → api', '9:41: service self_loop depends on itself']);
  });

  it('unknown ${...} references', () => {
    expect(errors(ok.replace('cmd: node server.js', 'cmd: "node server.js ${db.port}"'))).toEqual([
      '8:19: unknown reference ${db.port}: there is no service "db" in environment dev',
    ]);
    expect(errors(ok.replace('cmd: node server.js', 'cmd: node, env: { A: "${self.ports.ws}" }'))).toEqual([
      '8:35: unknown reference ${self.ports.ws}: service api (self) has no port named "ws" (its ports have no names)',
    ]);
    expect(errors(ok.replace('cmd: node server.js', 'cmd: [node, "${NOPE_VAR}"]'))).toEqual([
      expect.stringMatching(/^8:26: unknown reference \$\{NOPE_VAR\}: no service/),
    ]);
    // (a function replacement: in a replacement string, JavaScript reads `$$` as `$`)
    expect(errors(ok.replace('cmd: node server.js', () => 'cmd: "node ${HOME_DIR} ${OPT:-x} $${literal}"'), { HOME_DIR: '/h' })).toEqual([]);
    expect(errors(ok.replace('cmd: node server.js', 'cmd: node, write_env: "${what}/.env"'))).toEqual([expect.stringMatching(/^8:36: unknown reference \$\{what\}/)]);
    expect(errors(ok.replace('cmd: node server.js', 'cmd: node, templates: [{ from: a.in, to: "${nope.port}.json" }]'))).toEqual([expect.stringMatching(/^8:55: unknown reference \$\{nope\.port\}/)]);
  });

  it('bad durations', () => {
    expect(errors(ok.replace('cmd: node server.js', 'cmd: node, stop_timeout: 5x'))).toEqual([
      '8:39: stop_timeout: bad duration "5x": write 500ms, 5s, 1m30s or a number of seconds',
    ]);
  });

  it('durations longer than a timer holds, and blank commands', () => {
    expect(errors(ok.replace('cmd: node server.js', 'cmd: node, ready_timeout: 600h, stop_timeout: 2147484'))).toEqual([
      '8:40: ready_timeout: "600h" is longer than berth can wait (at most 596h31m23.647s)',
      '8:60: stop_timeout: 2147484 is longer than berth can wait (at most 596h31m23.647s)',
    ]);
    expect(errors(ok.replace('cmd: node server.js', 'cmd: "   "'))).toEqual(['8:19: cmd is blank: give the command to run']);
    expect(errors(ok.replace('cmd: node server.js', 'cmd: ["", x]'))).toEqual(['8:19: cmd: the first item (the program) is blank']);
    expect(errors(ok.replace('cmd: node server.js', 'cmd: [x, ""]'))).toEqual([]);
  });

  it('an environment that needs more ports than any of its ranges holds', () => {
    const yaml = `version: 1
ranges: { small: 5001-5002, tiny: 6001-6001 }
environments:
  dev:
    ranges: [small, tiny]
    services:
      api: { cmd: a, ports: 2 }
      web: { cmd: b, ranges: [tiny], ports: [http, hmr] }
      db: { cmd: c }
`;
    expect(errors(yaml)).toEqual([
      '5:13: environment dev needs 3 consecutive ports, but its largest range, small (5001-5002), holds 2',
      '8:30: service web needs 2 consecutive ports, but its range tiny (6001) holds 1',
    ]);
  });

  it('shell syntax in cmd without shell: true', () => {
    expect(errors(ok.replace('cmd: node server.js', 'cmd: "npm run build && node server.js"'))).toEqual([
      '8:19: cmd uses shell syntax (&&): add `shell: true` to run it through /bin/sh, or write it without',
    ]);
  });

  it('ready checks that cannot work', () => {
    expect(errors(ok.replace('cmd: node server.js', 'cmd: node, ports: 0, ready: port'))).toEqual([
      '8:42: ready: port needs a port, but this service has `ports: 0`',
    ]);
    expect(errors(ok.replace('cmd: node server.js', 'cmd: node, ready: { http: health }'))).toEqual([
      '8:40: ready.http must be a path starting with "/", like /health (got "health")',
    ]);
  });

  it('YAML syntax errors', () => {
    expect(errors('version: 1\nenvironments:\n  dev: [unclosed\n')).toEqual([expect.stringMatching(/^4:1: /)]);
    expect(errors('version: 1\nversion: 1\nenvironments: {}\n')).toEqual(['2:1: Map keys must be unique']);
  });

  it('reports every error of a file at once, in file order', () => {
    const yaml = `version: 3
ranges:
  dev: 5001-5099
  dev2: 5050-5199
environments:
  dev:
    ranges: [dev, dve]
    services:
      api:
        cmd: node server.js \${nope.port}
        ports: -2
        depends_on: [db]
      db:
        cmd: [postgres]
        depends_on: [api]
        restart: sometimes
`;
    expect(errors(yaml)).toEqual([
      '1:10: version must be 1, not 3',
      '4:9: range dev2 (5050-5199) overlaps range dev (5001-5099)',
      '7:19: unknown range "dve" (did you mean "dev"?)',
      '10:14: unknown reference ${nope.port}: there is no service "nope" in environment dev',
      '11:16: ports must be 0 or more, not -2',
      '15:22: dependency cycle: api → db → api',
      '16:18: restart must be never, on-failure or always',
    ]);
    expect(check(yaml).config).toBeNull();
  });
});

describe('warnings', () => {
  it('a range inside the kernel ephemeral range is a warning, not an error', () => {
    const result = check(ok.replace('5001-5099', '40000-40099'), {}, { first: 32768, last: 60999 });
    expect(result.config).not.toBeNull();
    expect(result.issues.map((issue) => `${issue.line}:${issue.col}: ${issue.severity}: ${issue.message}`)).toEqual([
      "3:8: warning: range dev (40000-40099) overlaps the kernel's ephemeral ports (32768-60999): an outgoing connection may take one of its ports between check and start",
    ]);
  });
});

describe('user: and group:', () => {
  const withUser = (keys: string) => ok.replace('{ cmd: node server.js }', `{ cmd: node server.js, ${keys} }`);
  const service = (keys: string) => check(withUser(keys)).config?.environments.get('dev')?.services[0];

  it('are strings as written; a number (YAML reads `user: 999` as one) becomes its string; both default to null', () => {
    expect(service('user: postgres')).toMatchObject({ user: 'postgres', group: null });
    expect(service('user: 999, group: 104')).toMatchObject({ user: '999', group: '104' });
    expect(service('group: ssl-cert')).toMatchObject({ user: null, group: 'ssl-cert' });
    expect(check(ok).config?.environments.get('dev')?.services[0]).toMatchObject({ user: null, group: null });
  });

  it('empty, blank, of the wrong type, or user:group in one: an error at the value', () => {
    expect(errors(withUser('user: ""'))).toEqual(['8:41: user is empty: give a user name or a numeric uid, or leave user: out']);
    expect(errors(withUser('group: ""'))).toEqual(['8:42: group is empty: give a group name or a numeric gid, or leave group: out']);
    expect(errors(withUser('user: "  "'))).toEqual(['8:41: user "  " is not a user name or a numeric uid']);
    expect(errors(withUser('user: "postgres:postgres"'))).toEqual(['8:41: user "postgres:postgres" is not a user name or a numeric uid (give the group as `group:`)']);
    expect(errors(withUser('user: [postgres]'))).toEqual(['8:41: user must be a user name or a numeric uid']);
    expect(errors(withUser('user: -1'))).toEqual(['8:41: user must be a user name or a numeric uid']);
    expect(errors(withUser('group: 1.5'))).toEqual(['8:42: group must be a group name or a numeric gid']);
    expect(errors(ok.replace('{ cmd: node server.js }', '\n        cmd: node server.js\n        user:\n'))).toEqual(['10:14: user must be a user name or a numeric uid']);
  });
});

describe('ready: { exec }', () => {
  const withReady = (ready: string) => ok.replace('{ cmd: node server.js }', () => `{ cmd: node server.js, ready: ${ready} }`);

  it('keeps the command as a template, interpolated at launch', () => {
    const { issues, config } = check(withReady('{ exec: "pg_isready -h 127.0.0.1 -p ${self.port}" }'));
    expect(issues).toEqual([]);
    expect(config?.environments.get('dev')?.services[0]?.ready).toEqual({ kind: 'exec', command: 'pg_isready -h 127.0.0.1 -p ${self.port}' });
  });

  it('empty, of the wrong type, or beside another check: an error at its position', () => {
    expect(errors(withReady('{ exec: "" }'))).toEqual(['8:50: ready.exec is empty: give a command that exits 0 once the service is ready']);
    expect(errors(withReady('{ exec: "  " }'))).toEqual(['8:50: ready.exec is empty: give a command that exits 0 once the service is ready']);
    expect(errors(withReady('{ exec: [pg_isready] }'))).toEqual(['8:50: ready.exec must be a command, like "pg_isready -p ${self.port}"']);
    expect(errors(withReady('{ exec: "true", http: /health }'))).toEqual(['8:42: ready takes exactly one of { http: /path }, { log: "text" } or { exec: "command" }']);
    expect(errors(withReady('{ exe: "true" }'))).toEqual([expect.stringMatching(/^8:44: .*exe.*\(did you mean "exec"\?\)/)]);
    expect(errors(withReady('sometimes'))).toEqual(['8:42: ready must be port, none, { http: /path }, { log: "text" } or { exec: "command" }']);
  });

  it('its ${...} references are checked like those of cmd', () => {
    expect(errors(withReady('{ exec: "pg_isready -p ${db.port} -U ${USER_NAME} -d ${env}" }'), { USER_NAME: 'me' })).toEqual([
      '8:50: unknown reference ${db.port}: there is no service "db" in environment dev',
    ]);
    expect(errors(withReady('{ exec: "curl -f localhost:${self.ports.http}" }'))).toEqual([
      '8:50: unknown reference ${self.ports.http}: service api (self) has no port named "http" (its ports have no names)',
    ]);
    expect(errors(withReady('{ exec: "echo $${literal} ${self.port}" }'))).toEqual([]);
  });
});
