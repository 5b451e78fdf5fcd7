import { describe, expect, it } from 'vitest';
import { DURATION_PATTERN, parseDuration } from '../../src/config/duration.js';
import { validateConfig } from '../../src/config/validate-config.js';
import { parseYamlSource } from '../../src/config/yaml-source.js';

describe('parseDuration: compose / Go style', () => {
  it.each([
    ['1m30s', 90_000],
    ['1h2m3.5s', 3_723_500],
    ['500ms', 500],
    ['2m', 120_000],
    ['1.5s', 1500],
    ['1h', 3_600_000],
    ['90', 90_000],
    ['1.5', 1500],
    ['0', 0],
    ['0s', 0],
    ['.5s', 500],
    ['5.s', 5000],
    ['1s500ms', 1500],
    ['2500us', 3], // 2.5 ms, rounded
    ['1500µs', 2], // U+00B5 MICRO SIGN
    ['1500μs', 2], // U+03BC GREEK SMALL LETTER MU
    ['3000000ns', 3],
    ['100us', 1], // above zero: at least 1 ms
    ['1ns', 1],
    [' 5s ', 5000],
    ['5 s', 5000], // as berth has always read it
    ['1m 30s', 90_000],
    ['1000h', 3_600_000_000], // longer than a Node timer holds: ports.yaml refuses it (validate.test.ts)
  ])('%j → %d ms', (text, ms) => {
    expect(DURATION_PATTERN.test(text)).toBe(true);
    expect(parseDuration(text)).toBe(ms);
  });

  it('reads YAML numbers as seconds', () => {
    expect([parseDuration(3), parseDuration(1.5), parseDuration(0), parseDuration(0.0001), parseDuration(1e6)]).toEqual([3000, 1500, 0, 1, 1e9]);
    expect([parseDuration(-1), parseDuration(Number.NaN), parseDuration(Number.POSITIVE_INFINITY)]).toEqual([undefined, undefined, undefined]);
  });

  it.each(['5x', 's', '', '  ', '-5s', '+5s', '1.2.3s', '1m30', '30s1', 'ms', '1d', '1 h 2', '5S', '5sec', '1e3s', '.', '.s', '5s,', 'h1'])('%j is not a duration', (text) => {
    expect(DURATION_PATTERN.test(text)).toBe(false);
    expect(parseDuration(text)).toBeUndefined();
  });

  it('is not a duration unless a string or a number', () => {
    expect([parseDuration(null), parseDuration(undefined), parseDuration(['5s']), parseDuration({ s: 5 })]).toEqual([undefined, undefined, undefined, undefined]);
  });
});

describe('durations in ports.yaml', () => {
  const yaml = (value: string) => `version: 1
ranges: { dev: 31530-31539 }
environments:
  dev:
    services:
      api: { cmd: node server.js, stop_timeout: ${value}, ready_timeout: 1m30s, watch_debounce: 250ms }
`;
  const load = (value: string) => validateConfig(parseYamlSource(yaml(value), 'ports.yaml'), { root: '/work/shop', vars: {}, ephemeral: null });

  it('are read into milliseconds', () => {
    const { config, issues } = load('1h2m3.5s');
    expect(issues).toEqual([]);
    expect(config?.environments.get('dev')?.services[0]).toMatchObject({ stopTimeoutMs: 3_723_500, readyTimeoutMs: 90_000, watchDebounceMs: 250 });
    expect(load('90').config?.environments.get('dev')?.services[0]?.stopTimeoutMs).toBe(90_000);
  });

  it.each(['5x', '1m30', '-1s', '1d'])('a bad one (%j) is an error at its line and column', (value) => {
    const { issues } = load(value);
    expect(issues.filter((issue) => issue.severity === 'error').map((issue) => `${issue.line}:${issue.col}: ${issue.message}`)).toEqual([
      expect.stringMatching(new RegExp(`^6:49: stop_timeout: bad duration ${JSON.stringify(value).replace(/[-.]/g, '\\$&')}`)),
    ]);
  });
});
