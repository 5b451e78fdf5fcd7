import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Dashboard, type DashboardOptions } from '../../src/tui/dashboard.js';
import { hyperlinksSupported } from '../../src/tui/hyperlinks.js';
import { bindingsFor, KEY_TABLE, keyHints } from '../../src/tui/keys.js';
import { NOTE_MS } from '../../src/tui/notes.js';
import { SERVICE_TABLE } from '../../src/tui/services-table.js';
import { TopModel, type FoundInstance } from '../../src/tui/top-model.js';
import { waitFor } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp.js';
import { FakeClock, FakeInstance, fakeTerminal, lease, service } from './fake-screen.js';

/** What each key name of the table is as terminal input. */
const SEQUENCES: Record<string, string> = {
  up: '\x1b[A',
  down: '\x1b[B',
  pageup: '\x1b[5~',
  pagedown: '\x1b[6~',
  home: '\x1b[H',
  end: '\x1b[F',
  tab: '\t',
  'S-tab': '\x1b[Z',
  enter: '\r',
  escape: '\x1b',
  'C-c': '\x03',
  'C-b': '\x02',
  'C-f': '\x06',
};
const sequence = (name: string) => SEQUENCES[name] ?? (name.startsWith('S-') ? name.slice(2).toUpperCase() : name);

let open: { dashboard: Dashboard; model: TopModel } | undefined;
afterEach(() => {
  open?.model.close();
  open?.dashboard.destroy();
  open = undefined;
});

function shopInstance() {
  return new FakeInstance(
    {
      lease: lease('shop', 1, [4100, 4102]),
      pid: 10,
      stopping: false,
      services: [
        service('api', 11, [4100], 'ready', { info: { command: 'node server.js --port 4100', cwd: '/w/api', user: 'app', portNames: ['http'], envKeys: ['API_PORT', 'PORT'], dependsOn: ['db'], ready: 'http /health', restart: 'on-failure' } }),
        service('worker', 12, [], 'backoff', { restarts: 3, manualRestarts: 1, lastExit: '1' }),
        service('db', 13, [4101, 4102], 'starting'),
      ],
    },
    {
      api: ['{"level":"info","msg":"listening on {port}"}', 'GET /health 200', 'error: db timeout', 'GET / 200', 'error: db timeout again', '{"nested":{"a":[1,{"b":2}]}}'],
      worker: ['worker tick'],
      db: ['db up'],
    },
  );
}

async function start(cols: number, rows: number, found: (FoundInstance & { control: FakeInstance | null })[], options: Partial<DashboardOptions> = {}) {
  const screen = fakeTerminal(cols, rows);
  let dashboard: Dashboard | undefined;
  const model = new TopModel(async () => found, () => dashboard?.render());
  const quits: number[] = [];
  dashboard = new Dashboard({ model, mode: 'top', color: false, input: screen.input, output: screen.output, onQuit: (times) => quits.push(times), env: {}, ...options });
  open = { dashboard, model };
  await model.refresh();
  dashboard.draw();
  return { screen, dashboard, model, quits };
}

describe('dashboard on a fake screen', () => {
  it('shows the instances, the selected instance\'s services, and its log; keys act on the selected service', async () => {
    const shop = shopInstance();
    const blog = new FakeInstance({ lease: lease('blog', 2, [5100, 5100]), pid: 20, stopping: false, services: [service('site', 21, [5100])] }, { site: ['hello'] });
    const { screen } = await start(100, 30, [
      { lease: shop.snapshot.lease, control: shop },
      { lease: blog.snapshot.lease, control: blog },
    ]);
    // Instances are sorted by project: blog first.
    await waitFor(() => screen.text().includes('blog/dev#2') && /site +ready/.test(screen.text()), 3000, 'the first instance and its service');
    expect(screen.text()).toContain('shop/dev#1  4100-4102');
    screen.press('j'); // next instance
    await waitFor(() => /api +ready +.*4100/.test(screen.text()), 3000, () => `shop's services:\n${screen.text()}`);
    expect(screen.text()).toMatch(/worker +backoff/);
    expect(screen.text()).toMatch(/db +starting +.*4101-4102/);
    await waitFor(() => screen.text().includes('GET /health 200'), 3000, 'api\'s log');

    screen.press('\t'); // to the services pane
    screen.press('j'); // worker
    screen.press('r');
    await waitFor(() => shop.actions.includes('restart worker'), 3000, 'a restart of worker');
    await waitFor(() => screen.text().includes('worker: backoff (pid 999)'), 3000, 'the result on the message line');
    screen.press('a');
    await waitFor(() => screen.text().includes('logs: all services'), 3000, 'the all-services log');
    shop.emit({ type: 'note', service: 'api', message: 'src/a.ts changed: restarting' });
  });

  it('every key of the table reaches its action, in top and in up', async () => {
    for (const mode of ['top', 'up'] as const) {
      const shop = shopInstance();
      const folder = tempDir('berth-saved-');
      const { screen, dashboard } = await start(120, 40, [{ lease: shop.snapshot.lease, control: shop }], { mode, saveFolder: folder });
      const seen: string[] = [];
      const run = dashboard.run.bind(dashboard);
      dashboard.run = (action) => {
        seen.push(action);
        run(action);
      };
      for (const binding of bindingsFor(mode)) {
        for (const key of binding.keys) {
          seen.length = 0;
          screen.press(sequence(key));
          await waitFor(() => seen.includes(binding.action), 2000, `${key} to ${binding.action} (${mode})`);
          if (binding.action === 'search') {
            await waitFor(() => screen.text().includes('search: █'), 2000, 'the search prompt');
            screen.press('\x1b'); // closes the prompt
            await waitFor(() => !screen.text().includes('search: █'), 2000, 'the prompt to close');
          }
        }
      }
      expect(readdirSync(folder).length).toBe(1); // e wrote the log
      open?.model.close();
      open?.dashboard.destroy();
      open = undefined;
    }
    expect(KEY_TABLE.map((binding) => binding.action).length).toBe(new Set(KEY_TABLE.map((binding) => binding.action)).size);
  });

  it('what the keys do: help, details, wrap, zoom, timestamps, follow, mouse, save, project, quit', async () => {
    const shop = shopInstance();
    const blog = new FakeInstance({ lease: lease('blog', 2, [5100, 5100]), pid: 20, stopping: false, services: [service('site', 21, [5100])] }, { site: ['hello'] });
    const folder = tempDir('berth-saved-');
    const { screen, dashboard, quits } = await start(100, 30, [
      { lease: shop.snapshot.lease, control: shop },
      { lease: blog.snapshot.lease, control: blog },
    ], { saveFolder: folder });
    const sees = (what: string | RegExp, label: string) => waitFor(() => (typeof what === 'string' ? screen.text().includes(what) : what.test(screen.text())), 2000, () => `${label}:\n${screen.text()}`);
    screen.press('j');
    await sees('GET /health 200', 'api\'s log');
    screen.press('?');
    await sees('show or hide this help', 'the help from the table');
    const help = new Set<string>();
    for (let page = 0; page < 4; page++) {
      for (const line of screen.lines()) help.add(line);
      screen.press('\x1b[6~'); // PgDn scrolls the help
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    for (const binding of KEY_TABLE.filter((each) => !each.only || each.only === 'top')) expect([...help].join('\n')).toContain(binding.help.slice(0, 40));
    screen.press('\x1b');
    await waitFor(() => !screen.text().includes('show or hide this help'), 2000, 'help to close');
    screen.press('\t');
    screen.press('i');
    await sees('node server.js --port 4100', 'the details');
    expect(screen.text()).toMatch(/user +app/);
    expect(screen.text()).toMatch(/ports +http=4100/);
    expect(screen.text()).toMatch(/depends on +db/);
    expect(screen.text()).toMatch(/env keys +API_PORT PORT/);
    expect(screen.text()).toMatch(/ready check +http \/health/);
    screen.press('i');
    await waitFor(() => !screen.text().includes('node server.js --port 4100'), 2000, 'details to close');

    shop.write(`${'y'.repeat(150)}\n`);
    await sees('y'.repeat(96), 'a long line wrapped');
    screen.press('w');
    await sees(`${'y'.repeat(97)}›`, 'the line cut at the edge');
    screen.press('t');
    await sees(/\d\d:\d\d:\d\d y{20}/, 'the time of a line');
    screen.press('z');
    await waitFor(() => !screen.text().includes('SERVICE'), 2000, 'the log full screen');
    screen.press('z');
    await sees('SERVICE', 'the tables back');
    shop.write(Array.from({ length: 40 }, (_, index) => `filler ${index}\n`).join(''));
    await sees('filler 39', 'a full pane');
    screen.press('f');
    await sees('paused', 'a paused log');
    shop.write('new line while paused\n');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(screen.text()).not.toContain('new line while paused');
    screen.press('f');
    await sees('new line while paused', 'the line once followed again');
    const before = screen.raw().length;
    screen.press('m');
    await sees('mouse capture off', 'mouse capture off');
    expect(dashboard.mouse).toBe(false);
    expect(screen.raw().slice(before)).toContain('\x1b[?1000l'); // the terminal told to stop reporting the mouse
    screen.press('m');
    await sees('mouse capture on', 'mouse capture on');
    screen.press('e');
    await sees(`log written to ${folder}`, 'where the log went');
    const [file] = readdirSync(folder);
    expect(readFileSync(path.join(folder, file as string), 'utf8')).toContain('{"nested":{"a":[1,{"b":2}]}}');
    screen.press('p');
    await sees('1 instance of blog', 'blog only');
    screen.press('p');
    await sees('1 instance of shop', 'shop only');
    screen.press('p');
    await sees('2 instances', 'every project');
    screen.press('q');
    await waitFor(() => quits.length === 1, 1000, 'q');
  });

  it('shows service output verbatim: braces and JSON lines as they are, ANSI colours stripped when berth shows no colour', async () => {
    const shop = shopInstance();
    const { screen } = await start(100, 30, [{ lease: shop.snapshot.lease, control: shop }]);
    await waitFor(() => screen.text().includes('{"level":"info","msg":"listening on {port}"}'), 2000, () => `the JSON line verbatim:\n${screen.text()}`);
    expect(screen.text()).toContain('{"nested":{"a":[1,{"b":2}]}}');
    shop.write('\x1b[31m{bold}red{/bold}\x1b[0m {open} {close}\n');
    await waitFor(() => screen.text().includes('{bold}red{/bold} {open} {close}'), 2000, () => `tags in output shown as text:\n${screen.text()}`);
    expect(screen.text()).not.toContain('[31m');
  });

  it('keeps a service\'s colours when berth shows colour, across a wrapped row and beside a search match', async () => {
    const shop = shopInstance();
    const { screen } = await start(60, 30, [{ lease: shop.snapshot.lease, control: shop }], { color: true });
    shop.write(`plain \x1b[31mred {braces} ${'r'.repeat(60)}\x1b[0m after\n`);
    await waitFor(() => screen.text().includes('red {braces}'), 2000, () => screen.text());
    const fg = (text: string, row?: number) => {
      for (let y = 0; y < 30; y++) {
        if (row !== undefined && y !== row) continue;
        const line = screen.term.buffer.active.getLine(y);
        const at = line?.translateToString(true).indexOf(text) ?? -1;
        if (at !== -1) return { y, color: line?.getCell(at)?.getFgColor(), mode: line?.getCell(at)?.getFgColorMode() };
      }
      return undefined;
    };
    const red = fg('red {braces}');
    expect(red?.color).toBe(1); // red, from the service
    expect(fg('plain ')?.mode).toBe(0); // default colour before it
    expect(fg('rrrr', (red?.y ?? 0) + 1)?.color).toBe(1); // the wrapped row stays red
    expect(fg(' after')?.mode).toBe(0);
  });

  it('search highlights every match; n and N go to the next and previous', async () => {
    const shop = shopInstance();
    const { screen } = await start(100, 30, [{ lease: shop.snapshot.lease, control: shop }]);
    await waitFor(() => screen.text().includes('GET /health'), 2000, 'the log');
    screen.press('/');
    await waitFor(() => screen.text().includes('search: █'), 2000, 'the prompt text');
    screen.press('db timeout');
    await waitFor(() => screen.text().includes('search: db timeout█'), 2000, 'what is typed');
    screen.press('\r');
    await waitFor(() => screen.text().includes('match 1 of 2 for "db timeout"'), 2000, () => `the first match:\n${screen.text()}`);
    expect(screen.text()).toContain('"db timeout" 2 found');
    // Both matches highlighted (inverse without colour).
    const highlighted = () => {
      const cells: string[] = [];
      for (let y = 0; y < 30; y++) {
        const line = screen.term.buffer.active.getLine(y);
        let run = '';
        for (let x = 0; x < 100; x++) {
          const cell = line?.getCell(x);
          if (cell?.isInverse()) run += cell.getChars();
          else if (run) {
            cells.push(run);
            run = '';
          }
        }
        if (run) cells.push(run);
      }
      return cells;
    };
    await waitFor(() => highlighted().filter((text) => text === 'db timeout').length === 2, 2000, () => `two highlights: ${JSON.stringify(highlighted())}`);
    screen.press('n');
    await waitFor(() => screen.text().includes('match 2 of 2'), 2000, 'n: the second');
    screen.press('n');
    await waitFor(() => screen.text().includes('match 1 of 2'), 2000, 'n wraps to the first');
    screen.press('N');
    await waitFor(() => screen.text().includes('match 2 of 2'), 2000, 'N: back to the last');
    screen.press('\x1b');
    await waitFor(() => !screen.text().includes('found'), 2000, 'esc clears the search');
  });

  it('sorts by a column with o, reversed with O', async () => {
    const shop = shopInstance();
    const { screen } = await start(120, 30, [{ lease: shop.snapshot.lease, control: shop }]);
    const order = () => screen.lines().map((line) => /│(api|worker|db) /.exec(line.slice(line.indexOf('│', 1)))?.[1]).filter(Boolean);
    await waitFor(() => order().length === 3, 2000, () => screen.text());
    expect(order()).toEqual(['api', 'worker', 'db']); // ports.yaml order
    screen.press('o');
    await waitFor(() => screen.text().includes('SERVICE▲'), 2000, 'sorted by name');
    expect(order()).toEqual(['api', 'db', 'worker']);
    screen.press('O');
    await waitFor(() => screen.text().includes('SERVICE▼'), 2000, 'reversed');
    expect(order()).toEqual(['worker', 'db', 'api']);
    screen.press('o');
    await waitFor(() => screen.text().includes('STATE▼'), 2000, 'by state, still reversed');
    expect(order()).toEqual(['db', 'api', 'worker']); // starting, ready, backoff
  });

  it('at 80x24 every cell shown is whole, the hints fit, and a resize redraws', async () => {
    const shop = new FakeInstance(
      {
        lease: lease('a-rather-long-project', 1, [31000, 31005]),
        pid: 10,
        stopping: false,
        services: [service('frontend-dev-server', 11, [31000, 31001, 31002], 'ready', { restarts: 12, manualRestarts: 2 }), service('worker', 12, [], 'failed', { pid: null, exitCode: 137, reason: 'ended with 137' }), service('db', 13, [31003], 'starting')],
      },
      { 'frontend-dev-server': ['up'] },
    );
    const other = new FakeInstance({ lease: lease('blog', 3, [31010, 31019]), pid: 20, stopping: false, services: [service('site', 21, [31010])] }, {});
    const { screen } = await start(80, 24, [
      { lease: shop.snapshot.lease, control: shop, ranges: [{ name: 'dev', first: 31000, last: 31099, size: 100, leased: 16, holders: [] }] },
      { lease: other.snapshot.lease, control: other },
    ]);
    await waitFor(() => screen.text().includes('frontend-dev-server'), 2000, () => screen.text());
    const lines = screen.lines();
    const hints = lines[23] as string;
    expect(hints.trimEnd()).toBe(keyHints('top', 80));
    expect(hints).toContain('q quit');
    const headerRow = lines.find((line) => line.includes('SERVICE')) as string;
    const services = headerRow.slice(headerRow.lastIndexOf('│', headerRow.indexOf('SERVICE')) + 1, headerRow.lastIndexOf('│'));
    const headers = services.trim().split(/ {2,}/);
    for (const header of headers) expect(SERVICE_TABLE.map((column) => column.header)).toContain(header);
    expect(headers).toEqual(expect.arrayContaining(['SERVICE', 'STATE', 'PORTS']));
    // Each cell of each row whole: the row as the table lays it out, between the borders.
    for (const name of ['frontend-dev-server', 'worker', 'db']) {
      const row = lines.find((line) => line.includes(`│${name} `)) as string;
      expect(row, name).toBeDefined();
      expect(row.endsWith('│')).toBe(true);
    }
    expect(lines.join('\n')).toMatch(/frontend-dev-server +ready +31000-31002/);
    expect(lines.join('\n')).toMatch(/worker +failed +- /);
    expect(lines[0]).toContain('a-rather-long-project/dev#1');
    expect(lines.join('\n')).toMatch(/│a-rather-long-project\/dev#1 *│/); // cut columns dropped, the label whole

    screen.resize(120, 30);
    await waitFor(() => screen.lines()[29]?.trimEnd() === keyHints('top', 120), 2000, () => `redrawn at 120x30:\n${screen.text()}`);
    expect(screen.text()).toMatch(/frontend-dev-server +ready +31000-31002/);
  });

  it('notes expire through the clock; the key hints stay on their own line', async () => {
    const shop = shopInstance();
    const clock = new FakeClock();
    const { screen, dashboard } = await start(100, 30, [{ lease: shop.snapshot.lease, control: shop }], { clock });
    dashboard.message('nodemon: stopping');
    await waitFor(() => screen.lines()[28]?.includes('nodemon: stopping'), 2000, 'the note on the message line');
    expect(screen.lines()[29]).toContain('? help');
    clock.advance(NOTE_MS.info - 1);
    dashboard.draw();
    expect(screen.lines()[28]).toContain('nodemon: stopping');
    clock.advance(1);
    await waitFor(() => !screen.lines()[28]?.includes('nodemon: stopping'), 2000, 'the note to expire');
    expect(screen.lines()[29]).toContain('? help');
  });

  it('URLs are OSC 8 links where the terminal shows them, plain text elsewhere', async () => {
    const shop = shopInstance();
    const linked = await start(200, 30, [{ lease: shop.snapshot.lease, control: shop }], { env: { BERTH_HYPERLINKS: '1' } });
    await waitFor(() => linked.screen.raw().includes('\x1b]8;;http://127.0.0.1:4101\x1b\\http://127.0.0.1:4101\x1b]8;;\x1b\\'), 2000, 'a link for db');
    expect(linked.screen.text()).toContain('http://127.0.0.1:4101');
    open?.model.close();
    open?.dashboard.destroy();
    const plain = await start(200, 30, [{ lease: shop.snapshot.lease, control: shop }], { env: { TERM_PROGRAM: 'Apple_Terminal' } });
    await waitFor(() => plain.screen.text().includes('http://127.0.0.1:4101'), 2000, 'the URL as text');
    expect(plain.screen.raw()).not.toContain('\x1b]8;;');
    expect(hyperlinksSupported({ TERM_PROGRAM: 'tmux', TERM_PROGRAM_VERSION: '3.3a' })).toBe(false);
    expect(hyperlinksSupported({ TERM_PROGRAM: 'tmux', TERM_PROGRAM_VERSION: '3.4' })).toBe(true);
    expect(hyperlinksSupported({ VTE_VERSION: '7200' })).toBe(true);
    expect(hyperlinksSupported({ BERTH_HYPERLINKS: '0', TERM_PROGRAM: 'WezTerm' })).toBe(false);
  });

  it('a stale instance is shown as such, with its reason', async () => {
    const { screen } = await start(100, 30, [{ lease: lease('gone', 1, [31100, 31101]), control: null, stale: 'owner pid 4242 is gone' }]);
    await waitFor(() => screen.text().includes('stale: owner pid 4242 is gone'), 2000, () => screen.text());
    expect(screen.text()).toMatch(/gone\/dev#1 +31100-31101 +stale/);
  });

  it('once destroyed, a late change draws nothing and follows no log (it would keep berth top alive after q)', async () => {
    let following = 0;
    const shop = shopInstance();
    const follow = shop.followLogs.bind(shop);
    shop.followLogs = async (...args: Parameters<FakeInstance['followLogs']>) => {
      following += 1;
      try {
        await follow(...args);
      } finally {
        following -= 1;
      }
    };
    const { dashboard, screen } = await start(100, 30, [{ lease: shop.snapshot.lease, control: shop }]);
    await waitFor(() => following === 1, 2000, 'the selected service\'s log followed');
    dashboard.destroy();
    await waitFor(() => following === 0, 2000, 'the log stream ended');
    const drawn = screen.text();
    dashboard.serviceName = 'worker'; // as if an event moved the selection
    dashboard.draw(); // a stream it opened would count at once: followLogs counts before its first await
    expect(following).toBe(0);
    expect(screen.text()).toBe(drawn);
  });
});
