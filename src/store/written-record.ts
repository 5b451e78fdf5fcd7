import { createHash, randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as v from 'valibot';
import type { LeaseOwner } from './lease.js';

/**
 * What berth wrote where (write_env files, template outputs): one record per path,
 * `$BERTH_HOME/written/<hash of the path>.json`, holding the path, the sha256 of the content
 * berth wrote and the lease (id, label, owner) that wrote it. A record is the claim on its
 * path: created with O_EXCL, so of two instances that start together one gets it and the
 * other sees it; it proves a template output is berth's (JSON has no comment for a header);
 * and once its owner is gone, `berth gc` or the next instance that writes the path finds it.
 */
export interface WrittenRecord {
  path: string;
  kind: 'write_env' | 'template';
  sha256: string;
  lease: string;
  /** `shop/dev#1`, for messages. */
  label: string;
  owner: LeaseOwner;
}

const RecordSchema = v.looseObject({
  path: v.string(),
  kind: v.picklist(['write_env', 'template']),
  sha256: v.string(),
  lease: v.string(),
  label: v.string(),
  owner: v.looseObject({ pid: v.number(), startTime: v.union([v.number(), v.null()]), host: v.string() }),
});

export function sha256(content: string): string {
  return createHash('sha256').update(content).digest('hex');
}

export class WrittenRecords {
  readonly dir: string;

  constructor(home: string) {
    this.dir = path.join(home, 'written');
  }

  /** The record of `file`, or null (none, or one that does not parse: no claim then). */
  read(file: string): WrittenRecord | null {
    return this.#parse(this.#fileFor(file));
  }

  /**
   * Claims `record.path` if nobody has: false when a record already exists. Written whole to a
   * temporary file and hard-linked into place, so no reader ever sees half a record.
   */
  create(record: WrittenRecord): boolean {
    const temp = this.#temp(record);
    try {
      linkSync(temp, this.#fileFor(record.path));
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    } finally {
      unlinkSync(temp);
    }
  }

  /** Replaces the record of `record.path` (a claim of ours, or one whose owner is gone). */
  replace(record: WrittenRecord): void {
    renameSync(this.#temp(record), this.#fileFor(record.path));
  }

  #temp(record: WrittenRecord): string {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const temp = path.join(this.dir, `.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
    writeFileSync(temp, JSON.stringify(record), { mode: 0o600 });
    return temp;
  }

  /** Drops the record of `file` when it is still the one of lease `lease`. */
  remove(file: string, lease: string): void {
    if (this.read(file)?.lease !== lease) return;
    try {
      unlinkSync(this.#fileFor(file));
    } catch {
      // already gone
    }
  }

  /** Every record that parses. */
  all(): WrittenRecord[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return [];
    }
    return names
      .filter((name) => name.endsWith('.json'))
      .map((name) => this.#parse(path.join(this.dir, name)))
      .filter((record): record is WrittenRecord => record !== null);
  }

  #parse(recordFile: string): WrittenRecord | null {
    try {
      const parsed = v.safeParse(RecordSchema, JSON.parse(readFileSync(recordFile, 'utf8')));
      return parsed.success ? (parsed.output as unknown as WrittenRecord) : null;
    } catch {
      return null;
    }
  }

  #fileFor(file: string): string {
    return path.join(this.dir, `${sha256(file).slice(0, 40)}.json`);
  }
}
