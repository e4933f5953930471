// Opening a store: pick the engine from the options, bring the schema up to date, start
// following commits. See docs/store.md for the guarantees.
import type { Driver } from './driver.js';
import { migrate } from './migrate.js';
import { openPostgres } from './pg-driver.js';
import { openPGlite } from './pglite-driver.js';
import { SqlStore } from './store.js';
import type { Store } from './types.js';

export type * from './types.js';
export { hashToken } from './tokens.js';
export { parseSelector, matchesSelector, type Requirement } from './selector.js';

export interface OpenStoreOptions {
  /** postgres://… or postgresql://… selects a PostgreSQL server; anything else is ignored. */
  url?: string;
  /** Embedded data directory; absent or 'memory://' keeps everything in memory. */
  dataDir?: string;
  logger?: (msg: string) => void;
  /** Clock for creationTimestamp and token times; injected by tests and the simulator. */
  now?: () => Date;
  /** PostgreSQL connection pool size (default 10). */
  poolSize?: number;
  /** Safety-net poll for other processes' commits on PostgreSQL, in ms (default 1000). */
  pollMs?: number;
  /** Events a watcher may leave unread before it falls back to reading the log (default 10000). */
  watchBuffer?: number;
  /**
   * Called once if the store can no longer work at all: the embedded data directory was removed
   * or taken over by another process. (A PostgreSQL server that goes away is waited for instead.)
   */
  onFatal?: (err: Error) => void;
}

export function isPostgresUrl(url: string | undefined): url is string {
  return url !== undefined && /^postgres(ql)?:\/\//.test(url);
}

export async function openStore(opts: OpenStoreOptions = {}): Promise<Store> {
  const log = opts.logger ?? (() => undefined);
  const driver: Driver = isPostgresUrl(opts.url)
    ? await openPostgres({ url: opts.url, poolSize: opts.poolSize, logger: log })
    : await openPGlite(opts.dataDir, { onFatal: opts.onFatal });
  try {
    await migrate(driver, log);
    const store = new SqlStore({ driver, now: opts.now ?? (() => new Date()), log, pollMs: opts.pollMs, watchBuffer: opts.watchBuffer });
    await store.start();
    return store;
  } catch (e) {
    await driver.close().catch(() => undefined);
    throw e;
  }
}
