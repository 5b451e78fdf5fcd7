import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Lease } from './lease.js';
import { parseLease } from './registry-schema.js';

/**
 * A copy of every lease in a file of its own, `$BERTH_HOME/leases/<id>.json`, written and removed
 * under the registry lock together with the registry. When registry.json is lost (corrupt,
 * deleted), the registry is rebuilt from these copies in the same locked step, so there is no
 * moment in which a claim could be given the ports of an instance that is still running.
 */
export class LeaseMirror {
  readonly dir: string;

  constructor(home: string) {
    this.dir = path.join(home, 'leases');
  }

  write(lease: Lease): void {
    if (lease.invalid !== undefined) return; // kept in registry.json as it was written
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const file = this.#file(lease.id);
    const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    writeFileSync(temp, JSON.stringify(lease), { mode: 0o600 });
    renameSync(temp, file);
  }

  remove(id: string): void {
    try {
      unlinkSync(this.#file(id));
    } catch {
      // never mirrored, or already gone
    }
  }

  /** Every mirrored lease that still parses; unreadable copies are skipped. */
  readAll(): Lease[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return [];
    }
    const leases: Lease[] = [];
    for (const name of names) {
      if (!name.endsWith('.json')) continue;
      try {
        const parsed = parseLease(JSON.parse(readFileSync(path.join(this.dir, name), 'utf8')));
        if (parsed.ok && `${safeName(parsed.lease.id)}.json` === name) leases.push(parsed.lease);
      } catch {
        // a copy cut short by a full disk: the owner writes it again within seconds
      }
    }
    return leases.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** Makes the mirror hold exactly `leases` (after a rebuild or on first use). */
  sync(leases: readonly Lease[]): void {
    const keep = new Set(leases.filter((lease) => lease.invalid === undefined).map((lease) => `${safeName(lease.id)}.json`));
    let names: string[] = [];
    try {
      names = readdirSync(this.dir);
    } catch {
      // none yet
    }
    for (const name of names) if (name.endsWith('.json') && !keep.has(name)) this.remove(name.slice(0, -'.json'.length));
    for (const lease of leases) this.write(lease);
  }

  #file(id: string): string {
    return path.join(this.dir, `${safeName(id)}.json`);
  }
}

/** Lease ids are berth's own hex, but the registry is not trusted: nothing leaves the folder. */
function safeName(id: string): string {
  return id.replace(/[^A-Za-z0-9_-]/g, '_');
}
