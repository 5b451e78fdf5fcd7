import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import * as schemaModule from '../../src/config/schema.js';
// @ts-expect-error: a plain ES module of the build scripts, without types
import { buildJsonSchema } from '../../scripts/json-schema.mjs';
import { ROOT } from '../helpers/processes.js';

const committed = JSON.parse(readFileSync(path.join(ROOT, 'schema', 'ports.schema.json'), 'utf8'));

describe('schema/ports.schema.json', () => {
  it('is generated from the schema berth validates with (run `npm run schema` after changing it)', () => {
    expect(committed).toEqual(JSON.parse(JSON.stringify(buildJsonSchema(schemaModule))));
  });

  const validate = new Ajv({ strict: false, allErrors: true }).compile(committed);

  it.each(['ports.yaml', 'examples/parallel/ports.yaml'])('accepts %s', (file) => {
    const ok = validate(parse(readFileSync(path.join(ROOT, file), 'utf8'), { merge: true }));
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('rejects an unknown key and a wrong type', () => {
    expect(validate({ version: 1, environments: { dev: { services: { api: { cmd: 'x', comand: 'y' } } } } })).toBe(false);
    expect(validate({ version: 1, environments: { dev: { services: { api: { cmd: 'x', ports: -1 } } } } })).toBe(false);
    expect(validate({ version: 2, environments: {} })).toBe(false);
  });
});
