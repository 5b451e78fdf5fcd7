import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { internalErrorLine } from '../../src/cli/internal-error.js';
import { tempDir } from '../helpers/temp.js';

describe('an internal error', () => {
  it('is one line on stderr; its stack goes to a log under BERTH_HOME', () => {
    const home = tempDir('berth-home-');
    const error = new TypeError('x is not a function\nsecond line');
    const line = internalErrorLine(error, { BERTH_HOME: home }, ['up', 'dev']);
    const log = path.join(home, 'logs', 'internal-errors.log');
    expect(line).toBe(`berth: internal error: x is not a function (details in ${log}; please report it)`);
    const written = readFileSync(log, 'utf8');
    expect(written).toMatch(/^\S+ pid \d+ berth up dev\nTypeError: x is not a function\nsecond line\n {4}at /);
  });

  it('when the log cannot be written, the details go with the line instead of being lost', () => {
    const file = path.join(tempDir(), 'a-file');
    writeFileSync(file, '');
    const line = internalErrorLine(new Error('boom'), { BERTH_HOME: path.join(file, 'home') });
    expect(line.split('\n')[0]).toBe('berth: internal error: boom');
    expect(line).toContain('Error: boom\n    at ');
  });
});
