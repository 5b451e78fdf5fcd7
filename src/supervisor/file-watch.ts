import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import picomatch from 'picomatch';
import type { Clock } from './clock.js';

export interface FileWatchOptions {
  /** Globs relative to `cwd`. */
  globs: readonly string[];
  /** Globs (relative to `cwd`) never watched; node_modules and .git by default. */
  ignore: readonly string[];
  cwd: string;
  debounceMs: number;
  clock: Clock;
  /** Called once per burst of changes, with the files that changed (relative to cwd). */
  onChange: (files: string[]) => void;
}

/**
 * Watches a service's `watch:` globs and reports each burst of changes once, after
 * `debounceMs` of quiet. chokidar 4 watches directories (inotify / FSEvents, no polling); the
 * globs' base directories are watched and paths are matched with picomatch.
 */
export class FileWatch {
  readonly #options: FileWatchOptions;
  #watcher: FSWatcher | null = null;
  #pending = new Set<string>();
  #timer: unknown = null;

  constructor(options: FileWatchOptions) {
    this.#options = options;
  }

  /** Resolves once the initial scan is done, so changes after it are seen. */
  start(): Promise<void> {
    const { globs, ignore, cwd } = this.#options;
    const matches = picomatch(globs as string[], { dot: true });
    const ignored = picomatch(ignore as string[], { dot: true });
    const bases = [...new Set(globs.map((glob) => {
      const scan = picomatch.scan(glob);
      return path.resolve(cwd, scan.isGlob ? scan.base || '.' : path.dirname(glob));
    }))];
    const relative = (file: string) => path.relative(cwd, file).split(path.sep).join('/');
    this.#watcher = watch(bases, {
      ignoreInitial: true,
      ignored: (file) => {
        const rel = relative(file);
        return rel !== '' && !rel.startsWith('..') && (ignored(rel) || ignored(`${rel}/`));
      },
    });
    const changed = (file: string) => {
      const rel = relative(file);
      if (matches(rel) && !ignored(rel)) this.#note(rel);
    };
    this.#watcher.on('add', changed).on('change', changed).on('unlink', changed);
    return new Promise((resolve) => this.#watcher?.once('ready', () => resolve()));
  }

  async close(): Promise<void> {
    if (this.#timer !== null) this.#options.clock.clearTimeout(this.#timer);
    this.#timer = null;
    await this.#watcher?.close();
    this.#watcher = null;
  }

  #note(file: string): void {
    this.#pending.add(file);
    if (this.#timer !== null) this.#options.clock.clearTimeout(this.#timer);
    this.#timer = this.#options.clock.setTimeout(() => {
      this.#timer = null;
      const files = [...this.#pending];
      this.#pending.clear();
      this.#options.onChange(files);
    }, this.#options.debounceMs);
  }
}
