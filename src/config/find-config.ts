import { existsSync } from 'node:fs';
import path from 'node:path';

export const CONFIG_NAME = 'ports.yaml';

/** `./ports.yaml`, else the nearest ports.yaml in a parent folder; undefined when there is none. */
export function findConfig(cwd: string): string | undefined {
  let dir = path.resolve(cwd);
  for (;;) {
    const candidate = path.join(dir, CONFIG_NAME);
    if (existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}
