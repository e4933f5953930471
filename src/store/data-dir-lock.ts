// One process per embedded data directory. PGlite keeps no lock of its own, and two processes
// writing the same files corrupt them; so the first opener writes its pid to weft.pid and later
// openers refuse while that process is alive. A file left by a process that died (kill -9, power
// loss) is stale and taken over.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { WeftError } from '../model/errors.js';

export class DataDirInUseError extends WeftError {
  constructor(dir: string, pid: number) {
    super('DataDirInUse', 409, `data directory ${dir} is in use by another Weft process (pid ${pid}); stop it first or choose another --data-dir`);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The embedded database's directory is gone or no longer this process's: nothing can be stored. */
export class DataDirLostError extends WeftError {
  constructor(message: string) {
    super('DataDirLost', 503, message);
  }
}

/** Takes the directory for this process; returns the release function. */
export async function lockDataDir(dir: string): Promise<() => Promise<void>> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'weft.pid');
  const mine = String(process.pid);
  for (let tries = 0; tries < 2; tries++) {
    try {
      const fh = await open(file, 'wx');
      await fh.writeFile(mine);
      await fh.close();
      return async () => {
        const owner = await readFile(file, 'utf8').catch(() => '');
        if (owner.trim() === mine) await unlink(file).catch(() => undefined);
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      // Our own pid counts as in use: two stores on one directory in one process corrupt it too.
      if (Number.isInteger(pid) && pid > 0 && alive(pid)) throw new DataDirInUseError(dir, pid);
      await unlink(file).catch(() => undefined);
    }
  }
  throw new DataDirInUseError(dir, NaN);
}

/**
 * Why this process can no longer trust the directory it locked, or undefined while all is well:
 * the directory (or its database) was removed, or another process took the lock file over.
 */
export function dataDirLost(dir: string): string | undefined {
  if (!existsSync(join(dir, 'PG_VERSION'))) return `data directory ${dir} has disappeared (its database files are gone)`;
  let owner: string;
  try {
    owner = readFileSync(join(dir, 'weft.pid'), 'utf8').trim();
  } catch {
    return `data directory ${dir} lost its lock file weft.pid (was it removed or replaced?)`;
  }
  if (owner !== String(process.pid)) return `data directory ${dir} is now locked by another process (pid ${owner})`;
  return undefined;
}
