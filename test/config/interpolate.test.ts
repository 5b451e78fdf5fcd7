import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/config/duration.js';
import { interpolate, type InterpolationContext } from '../../src/config/interpolate.js';
import { splitCommand } from '../../src/config/split-command.js';

const ctx: InterpolationContext = {
  project: 'shop',
  env: 'dev',
  instance: 2,
  self: 'web',
  services: new Map([
    ['api', { ports: [5001, 5002], names: ['http', 'ws'] }],
    ['web', { ports: [8001], names: null }],
  ]),
  vars: { HOME: '/home/u', EMPTY: '' },
};

describe('interpolate', () => {
  it('resolves every kind of reference', () => {
    expect(interpolate('http://localhost:${api.port}/ws=${api.ports.ws} self=${self.port}', ctx)).toBe('http://localhost:5001/ws=5002 self=8001');
    expect(interpolate('${project}-${env}-${instance} ${HOME} ${MISSING:-fallback} ${EMPTY:-x}', ctx)).toBe('shop-dev-2 /home/u fallback x');
    expect(interpolate('$${api.port} costs $5', ctx)).toBe('${api.port} costs $5');
  });

  it('rejects unknown references with a reason', () => {
    expect(() => interpolate('${db.port}', ctx)).toThrow('there is no service "db"');
    expect(() => interpolate('${web.ports.http}', ctx)).toThrow('service web has no port named "http"');
    expect(() => interpolate('${api.host}', ctx)).toThrow('write ${api.port} or ${api.ports.NAME}');
    expect(() => interpolate('${NOPE}', ctx)).toThrow('no environment variable');
    expect(() => interpolate('${unclosed', ctx)).toThrow('unclosed');
  });
});

describe('splitCommand', () => {
  it('splits like a shell, without one', () => {
    expect(splitCommand(`node -e 'console.log(1)' "a b" c\\ d  --port \${self.port}`)).toEqual(['node', '-e', 'console.log(1)', 'a b', 'c d', '--port', '${self.port}']);
    expect(splitCommand('echo "${a b}" $HOME *.ts')).toEqual(['echo', '${a b}', '$HOME', '*.ts']);
  });

  it('refuses what only a shell can run', () => {
    for (const [cmd, syntax] of [['a | b', '|'], ['a && b', '&&'], ['a > f', '>'], ['echo $(date)', '$('], ['a; b', ';'], ['x # note', '#']]) {
      expect(() => splitCommand(cmd as string)).toThrow(`shell syntax (${syntax})`);
    }
    expect(() => splitCommand('echo "open')).toThrow('unclosed double quote');
    expect(() => splitCommand("echo 'open")).toThrow('unclosed single quote');
  });
});

describe('parseDuration', () => {
  it('reads ms, s, m, h and bare seconds', () => {
    expect([parseDuration('500ms'), parseDuration('5s'), parseDuration('2m'), parseDuration('1h'), parseDuration(3), parseDuration('1.5')]).toEqual([500, 5000, 120000, 3600000, 3000, 1500]);
    expect([parseDuration('5x'), parseDuration(-1), parseDuration('s')]).toEqual([undefined, undefined, undefined]);
  });
});
