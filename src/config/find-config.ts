import { existsSync } from 'node:fs';
import path from 'node:path';

export const CONFIG_NAME = 'ports.yaml';
/** Looked for in each folder, in this order: ports.yaml wins over ports.yml beside it. */
export const CONFIG_NAMES = [CONFIG_NAME, 'ports.yml'] as const;

/** `./ports.yaml` (or `./ports.yml`), else the nearest one in a parent folder; undefined when there is none. */
export function findConfig(cwd: string): string | undefined {
  let dir = path.resolve(cwd);
  for (;;) {
    for (const name of CONFIG_NAMES) {
      const candidate = path.join(dir, name);
      if (existsSync(candidate)) return candidate;
    }
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}
