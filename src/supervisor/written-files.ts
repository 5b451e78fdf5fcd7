import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { hasBerthHeader } from '../config/env-file.js';
import { BerthError, EXIT } from '../errors.js';
import { isOwnerAlive } from '../platform/identity.js';
import { leaseLabel, type Lease } from '../store/lease.js';
import { sha256, WrittenRecords, type WrittenRecord } from '../store/written-record.js';

/** A file berth writes for a service before it starts (`write_env`, a template's `to`). */
export interface FileToWrite {
  /** Absolute. */
  path: string;
  kind: 'write_env' | 'template';
  content: string;
  service: string;
}

/** A file berth will not write (not berth's, another running instance's, not writable): exit 2, nothing started. */
export class WrittenFileError extends BerthError {
  override name = 'WrittenFileError';
  constructor(code: string, message: string, cause?: unknown) {
    super(code, message, { exitCode: EXIT.usage, cause });
  }
}

const what = (file: Pick<FileToWrite, 'kind' | 'path' | 'service'>) =>
  `service ${file.service}: ${file.kind === 'write_env' ? 'write_env' : 'template output'} ${file.path}`;

/**
 * The files one instance writes, and the rule that makes them berth's: a file that exists is
 * overwritten only when berth wrote it (a write_env file starts with `# written by berth`, a
 * template output's content has the hash recorded when berth wrote it) and no other running
 * instance writes it; on stop each is removed if its content is still what berth wrote.
 */
export class WrittenFiles {
  readonly #records: WrittenRecords;
  readonly #lease: Lease;
  /** What this instance wrote where: path → kind and content hash. */
  readonly #written = new Map<string, { kind: FileToWrite['kind']; sha256: string }>();

  constructor(records: WrittenRecords, lease: Lease) {
    this.#records = records;
    this.#lease = lease;
  }

  /** The files written now. */
  paths(): string[] {
    return [...this.#written.keys()];
  }

  /**
   * Checks every file first, then claims and writes each. When one is refused, nothing is
   * written; when a write fails, what this call wrote is removed again. Files written before
   * that are not in `files` any more are removed. Returns notes (files left because they changed).
   */
  write(files: readonly FileToWrite[]): string[] {
    const found = new Map<string, WrittenRecord | null>();
    const byPath = new Map<string, FileToWrite>();
    for (const file of files) {
      const twice = byPath.get(file.path);
      if (twice) throw new WrittenFileError('FILE_WRITTEN_TWICE', `${what(file)}: service ${twice.service} of the same instance writes it too; give each its own path`);
      byPath.set(file.path, file);
      found.set(file.path, this.#check(file));
    }

    const notes = [...this.#written.keys()].filter((written) => !byPath.has(written)).flatMap((gone) => this.#removeOne(gone));
    const thisCall: string[] = [];
    try {
      for (const file of files) {
        this.#claim(file, found.get(file.path) ?? null);
        thisCall.push(file.path);
        try {
          mkdirSync(path.dirname(file.path), { recursive: true });
          writeFileSync(file.path, file.content);
        } catch (error) {
          throw new WrittenFileError('FILE_UNWRITABLE', `${what(file)} cannot be written: ${(error as Error).message}`, error);
        }
        this.#written.set(file.path, { kind: file.kind, sha256: sha256(file.content) });
      }
    } catch (error) {
      for (const written of thisCall) {
        if (this.#written.has(written)) this.#removeOne(written);
        else this.#records.remove(written, this.#lease.id);
      }
      throw error;
    }
    return notes;
  }

  /** Removes every file written (when its content is still berth's); returns notes for those left. */
  removeAll(): string[] {
    return [...this.#written.keys()].flatMap((file) => this.#removeOne(file));
  }

  /** Throws when `file` may not be written; returns its record (or null). */
  #check(file: FileToWrite): WrittenRecord | null {
    const record = this.#records.read(file.path);
    if (record && record.lease !== this.#lease.id && isOwnerAlive(record.owner)) throw inUse(file, record);
    let current: string | null = null;
    try {
      current = readFileSync(file.path, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EISDIR') throw new WrittenFileError('FILE_IS_FOLDER', `${what(file)} is a folder`);
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw new WrittenFileError('FILE_UNREADABLE', `${what(file)} exists and cannot be read: ${(error as Error).message}`, error);
    }
    if (current === null) return record;
    const berths = file.kind === 'write_env' ? hasBerthHeader(current) : record !== null && record.sha256 === sha256(current);
    if (!berths) {
      const why = file.kind === 'write_env' ? 'its first line is not "# written by berth …"' : 'berth has no record of writing this content';
      const key = file.kind === 'write_env' ? 'write_env' : 'templates[].to';
      throw new WrittenFileError('FILE_NOT_BERTHS', `${what(file)} exists and berth did not write it (${why}); berth never overwrites your files: move it away, or point ${key} at another path`);
    }
    return record;
  }

  /** Records that this instance writes `file`; a claim made meanwhile by another running instance wins. */
  #claim(file: FileToWrite, found: WrittenRecord | null): void {
    const record: WrittenRecord = { path: file.path, kind: file.kind, sha256: sha256(file.content), lease: this.#lease.id, label: leaseLabel(this.#lease), owner: this.#lease.owner };
    try {
      if (found === null && this.#records.create(record)) return;
      const now = this.#records.read(file.path);
      if (now && now.lease !== this.#lease.id && isOwnerAlive(now.owner) && (found === null || now.lease !== found.lease)) throw inUse(file, now);
      this.#records.replace(record);
    } catch (error) {
      if (error instanceof BerthError) throw error;
      throw new BerthError('RECORD_UNWRITABLE', `${what(file)}: cannot record it in ${this.#records.dir}: ${(error as Error).message}`, { cause: error });
    }
  }

  #removeOne(file: string): string[] {
    const entry = this.#written.get(file);
    this.#written.delete(file);
    const notes: string[] = [];
    if (entry) {
      try {
        if (sha256(readFileSync(file, 'utf8')) === entry.sha256) unlinkSync(file);
        else notes.push(`left ${file}: it changed since berth wrote it`);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') notes.push(`could not remove ${file}: ${(error as Error).message}`);
      }
    }
    this.#records.remove(file, this.#lease.id);
    return notes;
  }
}

function inUse(file: FileToWrite, record: WrittenRecord): WrittenFileError {
  return new WrittenFileError(
    'FILE_IN_USE',
    `${what(file)} is written by ${record.label}, which is running (berth pid ${record.owner.pid}); two running instances never write one file: use \${instance} in the path`,
  );
}

/**
 * The files of instances whose owner is gone (`berth gc`): each is removed when its content is
 * still what berth wrote, else left; its record goes either way. Returns what was done.
 */
export function removeOrphanedFiles(records: WrittenRecords): { removed: WrittenRecord[]; left: { record: WrittenRecord; reason: string }[] } {
  const removed: WrittenRecord[] = [];
  const left: { record: WrittenRecord; reason: string }[] = [];
  const orphans = records.all().filter((record) => !isOwnerAlive(record.owner));
  for (const record of orphans) {
    try {
      if (sha256(readFileSync(record.path, 'utf8')) === record.sha256) {
        unlinkSync(record.path);
        removed.push(record);
      } else {
        left.push({ record, reason: 'it changed since berth wrote it' });
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') left.push({ record, reason: (error as Error).message });
    }
    records.remove(record.path, record.lease);
  }
  return { removed, left };
}
