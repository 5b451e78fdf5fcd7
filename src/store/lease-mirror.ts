import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as v from 'valibot';
import type { Lease, Leftover } from './lease.js';
import { LeftoversSchema, parseLease } from './registry-schema.js';

const LEFTOVER = '.leftover.json';

/**
 * A copy of every lease in a file of its own, `$BERTH_HOME/leases/<id>.json`, written and removed
 * under the registry lock together with the registry. When registry.json is lost (corrupt,
 * deleted), the registry is rebuilt from these copies in the same locked step, so there is no
 * moment in which a claim could be given the ports of an instance that is still running.
 * The process groups of a reclaimed lease are kept the same way (`<id>.leftover.json`) until
 * `berth gc` has ended them, so a lost registry does not make berth forget them either.
 */
export class LeaseMirror {
  readonly dir: string;

  constructor(home: string) {
    this.dir = path.join(home, 'leases');
  }

  write(lease: Lease): void {
    if (lease.invalid !== undefined) return; // kept in registry.json as it was written
    this.#put(this.#file(lease.id), lease);
  }

  remove(id: string): void {
    removeFile(this.#file(id));
  }

  writeLeftover(leftover: Leftover): void {
    this.#put(this.#leftoverFile(leftover.lease), leftover);
  }

  removeLeftover(leaseId: string): void {
    removeFile(this.#leftoverFile(leaseId));
  }

  /** Every kept leftover that still parses, oldest first. */
  readLeftovers(): Leftover[] {
    const leftovers: Leftover[] = [];
    for (const name of this.#names()) {
      if (!name.endsWith(LEFTOVER)) continue;
      try {
        const parsed = v.safeParse(LeftoversSchema, [JSON.parse(readFileSync(path.join(this.dir, name), 'utf8'))]);
        const [leftover] = parsed.success ? parsed.output : [];
        if (leftover && `${safeName(leftover.lease)}${LEFTOVER}` === name) leftovers.push(leftover);
      } catch {
        // cut short by a full disk
      }
    }
    return leftovers.sort((a, b) => a.since.localeCompare(b.since));
  }

  /** Writes the leftovers that are new in `after`, removes those no longer in it. */
  syncLeftovers(before: readonly Leftover[], after: readonly Leftover[]): void {
    const was = new Set(before.map((leftover) => leftover.lease));
    const now = new Set(after.map((leftover) => leftover.lease));
    for (const leftover of after) if (!was.has(leftover.lease)) this.writeLeftover(leftover);
    for (const id of was) if (!now.has(id)) this.removeLeftover(id);
  }

  #put(file: string, value: unknown): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    writeFileSync(temp, JSON.stringify(value), { mode: 0o600 });
    renameSync(temp, file);
  }

  #names(): string[] {
    try {
      return readdirSync(this.dir);
    } catch {
      return [];
    }
  }

  /** Every mirrored lease that still parses; unreadable copies are skipped. */
  readAll(): Lease[] {
    const leases: Lease[] = [];
    for (const name of this.#names()) {
      if (!name.endsWith('.json') || name.endsWith(LEFTOVER)) continue;
      try {
        const parsed = parseLease(JSON.parse(readFileSync(path.join(this.dir, name), 'utf8')));
        if (parsed.ok && `${safeName(parsed.lease.id)}.json` === name) leases.push(parsed.lease);
      } catch {
        // a copy cut short by a full disk: the owner writes it again within seconds
      }
    }
    return leases.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** Makes the mirror hold exactly `leases` and `leftovers` (on first use). */
  sync(leases: readonly Lease[], leftovers: readonly Leftover[]): void {
    const keep = new Set(leases.filter((lease) => lease.invalid === undefined).map((lease) => `${safeName(lease.id)}.json`));
    for (const leftover of leftovers) keep.add(`${safeName(leftover.lease)}${LEFTOVER}`);
    for (const name of this.#names()) if (name.endsWith('.json') && !keep.has(name)) removeFile(path.join(this.dir, name));
    for (const lease of leases) this.write(lease);
    for (const leftover of leftovers) this.writeLeftover(leftover);
  }

  #file(id: string): string {
    return path.join(this.dir, `${safeName(id)}.json`);
  }

  #leftoverFile(leaseId: string): string {
    return path.join(this.dir, `${safeName(leaseId)}${LEFTOVER}`);
  }
}

function removeFile(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // never written, or already gone
  }
}

/** Lease ids are berth's own hex, but the registry is not trusted: nothing leaves the folder. */
function safeName(id: string): string {
  return id.replace(/[^A-Za-z0-9_-]/g, '_');
}
