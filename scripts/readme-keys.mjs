// Writes the dashboard's key list into README.md (between the keys markers) from the key table
// in src/tui/keys.ts, as built in dist/lib/. test/tui/readme-keys.test.ts checks that they agree.
import { readFileSync, writeFileSync } from 'node:fs';
import { keysMarkdown } from '../dist/lib/tui/keys.js';

const START = '<!-- keys: written by scripts/readme-keys.mjs from src/tui/keys.ts -->';
const END = '<!-- /keys -->';
const readme = readFileSync('README.md', 'utf8');
const from = readme.indexOf(START);
const to = readme.indexOf(END);
if (from === -1 || to === -1) throw new Error(`README.md has no ${START} … ${END} block`);
writeFileSync('README.md', `${readme.slice(0, from + START.length)}\n${keysMarkdown()}\n${readme.slice(to)}`);
