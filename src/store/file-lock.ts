import { closeSync, existsSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * An exclusive lock on a sidecar file that is never renamed (OFD lock on Linux, flock on macOS,
 * via fs-native-extensions). The kernel drops it when its holder dies, so a SIGKILLed berth
 * never blocks the next one. The wait is asynchronous; the work done under the lock is not.
 */
interface LockApi {
  waitForLock(fd: number): Promise<void>;
  unlock(fd: number): void;
}

/** The prebuilt addon's own entry points (fs-native-extensions 1.5.x binding.c). */
interface Binding {
  waitForLock(fd: number, offset: number, length: number, exclusive: boolean, req: object, onwork: (this: LockRequest, error: Error | null) => void): unknown;
  unlock(fd: number, offset: number, length: number): void;
}

interface LockRequest {
  /** The native request; it must stay referenced until the callback runs. */
  handle: unknown;
  resolve: () => void;
  reject: (error: Error) => void;
}

let api: LockApi | undefined;

/**
 * The package's entry resolves its addon through a general resolver that costs ~10 ms per
 * process; when the prebuilt binary for this platform is where the package ships it, it is
 * loaded directly and driven the way the package's own index.js drives it.
 */
export function lockApi(): LockApi {
  if (api) return api;
  const require = createRequire(import.meta.url);
  const root = path.dirname(require.resolve('fs-native-extensions/package.json'));
  const prebuilt = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'fs-native-extensions.node');
  if (existsSync(prebuilt)) {
    const binding = require(prebuilt) as Binding;
    const onwork = function (this: LockRequest, error: Error | null) {
      if (error) this.reject(error);
      else this.resolve();
    };
    api = {
      waitForLock: (fd) =>
        new Promise<void>((resolve, reject) => {
          const req: LockRequest = { handle: null, resolve, reject };
          req.handle = binding.waitForLock(fd, 0, 0, true, req, onwork);
        }),
      unlock: (fd) => binding.unlock(fd, 0, 0),
    };
  } else {
    api = require('fs-native-extensions') as LockApi;
  }
  return api;
}

export async function withFileLock<T>(lockFile: string, fn: () => T): Promise<T> {
  const { waitForLock, unlock } = lockApi();
  const fd = openSync(lockFile, 'a+', 0o600);
  try {
    await waitForLock(fd);
    try {
      return fn();
    } finally {
      unlock(fd);
    }
  } finally {
    closeSync(fd);
  }
}
