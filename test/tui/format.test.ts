import { describe, expect, it } from 'vitest';
import { fitColumns, layoutRow, type Column } from '../../src/tui/fit-columns.js';
import { formatBytes, formatDuration } from '../../src/tui/format.js';
import { headerLine, instanceLines } from '../../src/tui/instances-pane.js';
import { bindingOf, keyHints, KEY_TABLE } from '../../src/tui/keys.js';
import { layout } from '../../src/tui/layout.js';
import { LogView } from '../../src/tui/log-view.js';
import { layoutServices, nextSort, portsText, restartsText, serviceRow } from '../../src/tui/services-table.js';
import { lease, service } from './fake-screen.js';

describe('dashboard text', () => {
  it('durations and sizes', () => {
    expect([formatDuration(999), formatDuration(61_000), formatDuration(3_723_000), formatDuration(90_061_000)]).toEqual(['0s', '1m01s', '1h02m', '1d1h']);
    expect([formatBytes(2048), formatBytes(5 * 1024 * 1024), formatBytes(300 * 1024 * 1024), formatBytes(3 * 1024 ** 3)]).toEqual(['2K', '5.0M', '300M', '3.0G']);
  });

  it('a service row: exit code, health, restarts automatic/manual apart, URL', () => {
    const api = service('api', 42, [4100, 4101], 'ready', { restarts: 5, manualRestarts: 2, lastExit: 'SIGTERM', startedAt: new Date(1_000_000).toISOString() });
    expect(serviceRow(api, { cpuPercent: 12.345, rssBytes: 50 * 1024 * 1024 }, 1_010_000)).toEqual(['api', 'ready', '42', '4100-4101', '12.3%', '50M', 'port ok', '3/2', '10s', 'SIGTERM', 'yes', 'http://127.0.0.1:4100']);
    expect(serviceRow({ ...api, state: 'failed', pid: null, ready: false, exitCode: 3, info: undefined }, undefined, 0)).toEqual(['api', 'failed', '-', '4100-4101', '-', '-', '-', '3/2', '-', '3', 'no', 'http://127.0.0.1:4100']);
    expect(portsText([5001, 5007])).toBe('5001,5007');
    expect(restartsText(service('x', 1, []))).toBe('0/0');
  });

  it('columns are dropped by priority, never cut, and keep their order', () => {
    const columns: Column[] = [{ header: 'A', priority: 0 }, { header: 'B', priority: 2 }, { header: 'C', priority: 1 }];
    const rows = [['aaaa', 'bbbbbb', 'cc']];
    expect(fitColumns(columns, rows, 100).map((column) => column.index)).toEqual([0, 1, 2]);
    expect(fitColumns(columns, rows, 8).map((column) => column.index)).toEqual([0, 2]);
    expect(layoutRow(rows[0] as string[], fitColumns(columns, rows, 8), columns)).toBe('aaaa  cc');
    for (let width = 20; width <= 200; width++) {
      const services = [service('frontend-dev-server', 123456, [31000, 31001, 31002], 'starting', { restarts: 12 }), service('db', null, [], 'failed', { exitCode: 137 })];
      const table = layoutServices(services.map((each) => serviceRow(each, { cpuPercent: 100, rssBytes: 1e9 }, Date.now())), width, { column: null, descending: false });
      for (const line of [table.header, ...table.lines]) expect(line.length, `width ${width}: ${line}`).toBeLessThanOrEqual(Math.max(width, 19));
    }
  });

  it('the instance list and the header line fit and say what is stale', () => {
    const live = { lease: lease('shop', 1, [4100, 4102]), control: null, snapshot: null };
    const stale = { lease: lease('blog', 2, [5100, 5100]), control: null, snapshot: null, stale: 'owner pid 7 is gone' };
    expect(instanceLines([live, stale], 40, Date.now())[1]).toMatch(/^blog\/dev#2 +5100 +stale$/);
    expect(instanceLines([live, stale], 12, Date.now())).toEqual(['shop/dev#1', 'blog/dev#2']);
    const ranges = [{ name: 'dev', first: 4100, last: 4199, size: 100, leased: 3, holders: [] }];
    expect(headerLine({ ...live, ranges }, ['1 instance'], 200)).toBe('shop/dev#1  ·  block 4100-4102 dev  ·  dev 4100-4199: 3/100 leased  ·  1 instance');
    expect(headerLine({ ...live, ranges }, [], 40)).toBe('shop/dev#1  ·  block 4100-4102 dev');
    expect(headerLine(stale, [], 80)).toContain('stale: owner pid 7 is gone');
  });

  it('layout: the tables as high as their rows, the log the rest, the bottom two lines for messages and keys', () => {
    const shape = layout({ width: 80, height: 24, instances: true, instancesWidth: 24, instanceCount: 3, serviceCount: 4, fullScreen: false });
    expect(shape.services).toEqual({ left: 26, top: 1, width: 54, height: 7 });
    expect(shape.log).toEqual({ left: 0, top: 8, width: 80, height: 14 });
    expect([shape.message.top, shape.hints.top]).toEqual([22, 23]);
    expect(layout({ width: 80, height: 24, instances: true, instancesWidth: 24, instanceCount: 3, serviceCount: 4, fullScreen: true }).log).toEqual({ left: 0, top: 1, width: 80, height: 21 });
  });

  it('key hints fit, never cut, from the table', () => {
    for (let width = 10; width < 200; width += 7) expect(keyHints('top', width).length).toBeLessThanOrEqual(width);
    expect(keyHints('up', 80, 'stop stack')).toMatch(/^\? help {2}q stop stack/);
    expect(bindingOf('up', 'p')).toBeUndefined();
    expect(bindingOf('top', 'S-n')?.action).toBe('previousMatch');
    expect(new Set(KEY_TABLE.flatMap((binding) => binding.keys)).size).toBe(KEY_TABLE.flatMap((binding) => binding.keys).length);
  });

  it('the log: bounded, verbatim, wrap or cut, search n/N wrapping around', () => {
    const log = new LogView(100);
    log.write(Array.from({ length: 300 }, (_, index) => `line ${index}\n`).join(''), null);
    expect(log.length).toBeLessThanOrEqual(113);
    expect(log.rows(20, 2).map((row) => row.text)).toEqual(['line 298', 'line 299']);
    log.write('{"a":{"b":1}} \x1b[32mgreen\x1b[0m\tend\npartial', 5);
    expect(log.rows(40, 1)[0]?.text).toBe('{"a":{"b":1}} green    end');
    log.wrap = true;
    log.write(`\n${'x'.repeat(25)}\n`, 5);
    expect(log.rows(10, 3).map((row) => row.text)).toEqual(['xxxxxxxxxx', 'xxxxxxxxxx', 'xxxxx']);
    log.wrap = false;
    expect(log.rows(10, 1).map((row) => row.text)).toEqual(['xxxxxxxxx›']);
    log.setSearch('line 29');
    log.toTop();
    expect(log.jump(1, 5)).toEqual({ index: 1, count: 10 });
    expect(log.jump(-1, 5)).toEqual({ index: 10, count: 10 });
    expect(log.jump(1, 5)).toEqual({ index: 1, count: 10 });
    expect(log.follow).toBe(false);
  });

  it('o walks the columns, then back to the order of ports.yaml', () => {
    let sort = { column: null as number | null, descending: false };
    const seen: (number | null)[] = [];
    for (let step = 0; step < 13; step++) {
      sort = nextSort(sort);
      seen.push(sort.column);
    }
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, null]);
  });
});

describe('details', () => {
  it('long values fold below their column, nothing cut', async () => {
    const { foldLines } = await import('../../src/tui/details.js');
    const folded = foldLines(['env keys     API_PORT BERTH_ENV BERTH_INSTANCE BERTH_PROJECT BERTH_SERVICE PORT PORT_HTTP'], 40);
    expect(folded).toEqual(['env keys     API_PORT BERTH_ENV', '             BERTH_INSTANCE', '             BERTH_PROJECT BERTH_SERVICE', '             PORT PORT_HTTP']);
    for (const line of folded) expect(line.length).toBeLessThanOrEqual(40);
  });
});
