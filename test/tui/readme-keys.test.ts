import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KEY_TABLE, keysMarkdown } from '../../src/tui/keys.js';
import { ROOT } from '../helpers/processes.js';

describe('README', () => {
  it('lists every key of the dashboard, as the key table has them (node scripts/readme-keys.mjs rewrites the list)', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const block = /<!-- keys: written by scripts\/readme-keys\.mjs from src\/tui\/keys\.ts -->\n([\s\S]*?)\n<!-- \/keys -->/.exec(readme)?.[1];
    expect(block, 'the keys block in README.md').toBeDefined();
    expect(block).toBe(keysMarkdown());
    for (const binding of KEY_TABLE) expect(block).toContain(`| \`${binding.label}\` |`);
  });
});
