// Writes schema/ports.schema.json from the built schema (npm run build first; npm run schema does).
import { writeFileSync } from 'node:fs';
import * as schemaModule from '../dist/lib/config/schema.js';
import { buildJsonSchema } from './json-schema.mjs';

const file = new URL('../schema/ports.schema.json', import.meta.url);
writeFileSync(file, `${JSON.stringify(buildJsonSchema(schemaModule), null, 2)}\n`);
console.log(`wrote ${file.pathname}`);
