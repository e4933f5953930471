// Embedded engine: PostgreSQL compiled to WebAssembly, running in this process on one connection.
// There is no other process to coordinate with, so the write lock is an in-process mutex and
// commit notifications are plain function calls (made by the writer after commit).
import { PGlite, type Transaction } from '@electric-sql/pglite';
import type { Driver, Sql, WriteOutcome } from './driver.js';
import { dataDirLost, DataDirLostError, lockDataDir } from './data-dir-lock.js';
import { localLeadership } from './leadership.js';
import { Mutex } from './mutex.js';

type Queryable = Pick<PGlite, 'query' | 'exec'> | Transaction;

/**
 * Longest run of queries without a turn of the event loop. The engine answers in this thread and
 * without real I/O, so a caller's queries one after another (a controller's pass over every
 * workload, a list in pages) are one unbroken chain of promise continuations: the process
 * accepted no connection until it ended, and a restarted server on a large store answered its
 * first request only after 11 s of such start-up work. Past this, the next query waits a turn.
 */
const YIELD_AFTER_MS = 20;

function sqlOf(db: Queryable, turn: () => Promise<void>): Sql {
  return {
    async query<R extends object>(text: string, params: readonly unknown[] = []): Promise<R[]> {
      await turn();
      const res = await db.query<R>(text, params as unknown[]);
      return res.rows;
    },
    async exec(text: string): Promise<void> {
      await turn();
      await db.exec(text);
    },
  };
}

/** Resolves at once, or after a turn of the event loop once YIELD_AFTER_MS have passed without one. */
function eventLoopTurns(): () => Promise<void> {
  let since = performance.now();
  return async () => {
    if (performance.now() - since < YIELD_AFTER_MS) return;
    await new Promise((resolve) => setImmediate(resolve));
    since = performance.now();
  };
}

/** How often the embedded engine checks that its data directory is still there and still its own. */
const WATCH_DATA_DIR_MS = 1000;
/**
 * PGlite has no checkpointer process, so nothing bounds the write-ahead log between the explicit
 * checkpoints of store maintenance (every 5 minutes) and the one at close. After a kill -9 every
 * write since the last checkpoint is replayed before the store opens (705 MB of WAL took 7 s to
 * replay, plus seconds of cold reads), and a graceful close first writes all of it back. So the
 * driver checkpoints whenever this much WAL has been written since the last one.
 */
const CHECKPOINT_AFTER_WAL_BYTES = 32 * 2 ** 20;
const CHECKPOINT_CHECK_MS = 5000;

export interface PGliteOptions {
  /** Called once if the data directory disappears or is taken over: the store cannot go on. */
  onFatal?: (err: Error) => void;
  /** Checkpoint once this much WAL was written since the last checkpoint (default 32 MiB). */
  checkpointAfterWalBytes?: number;
  /** How often that is checked, in ms (default 5000). */
  checkpointCheckMs?: number;
}

export async function openPGlite(dataDir: string | undefined, opts: PGliteOptions = {}): Promise<Driver> {
  const onDisk = dataDir !== undefined && dataDir !== '' && dataDir !== 'memory://';
  const release = onDisk ? await lockDataDir(dataDir) : async () => undefined;
  let db: PGlite;
  try {
    db = onDisk ? await PGlite.create(dataDir) : await PGlite.create();
  } catch (e) {
    await release();
    throw e;
  }
  const writeLock = new Mutex();
  const turn = eventLoopTurns();
  // Without this a removed directory leaves a process that answers every request with an error
  // about missing files, forever; better to stop and say why.
  const watch = onDisk && opts.onFatal ? setInterval(() => {
    const why = dataDirLost(dataDir);
    if (!why) return;
    clearInterval(watch);
    opts.onFatal?.(new DataDirLostError(why));
  }, WATCH_DATA_DIR_MS) : undefined;
  watch?.unref();
  let checkpointing = false;
  const checkpointer = onDisk
    ? setInterval(() => {
        if (checkpointing || db.closed) return;
        checkpointing = true;
        walSinceCheckpoint(sqlOf(db, turn))
          .then((bytes) => (bytes > (opts.checkpointAfterWalBytes ?? CHECKPOINT_AFTER_WAL_BYTES) && !db.closed ? db.exec('CHECKPOINT') : undefined))
          .catch(() => undefined) // closing, or the directory is gone (reported above)
          .finally(() => (checkpointing = false));
      }, opts.checkpointCheckMs ?? CHECKPOINT_CHECK_MS)
    : undefined;
  checkpointer?.unref();
  return {
    dialect: 'pglite',
    shared: false,
    read: sqlOf(db, turn),
    writeTx<T>(fn: (sql: Sql, currentRv: bigint) => Promise<WriteOutcome<T>>): Promise<T> {
      // PGlite's own transaction() already excludes other queries on its single connection; the
      // mutex additionally keeps our write batches strictly FIFO.
      return writeLock.run(() =>
        db.transaction(async (tx) => {
          const sql = sqlOf(tx, turn);
          const [row] = await sql.query<{ rv: string }>('SELECT rv::text AS rv FROM weft_state');
          const out = await fn(sql, BigInt(row.rv));
          if (out.lastRv !== undefined) await sql.query('UPDATE weft_state SET rv = $1::bigint', [out.lastRv.toString()]);
          return out.value;
        }),
      );
    },
    withMigrationLock<T>(fn: (sql: Sql) => Promise<T>): Promise<T> {
      return writeLock.run(() => fn(sqlOf(db, turn)));
    },
    acquireLeadership: localLeadership(),
    async listen(): Promise<void> {
      // Nothing to listen to: every commit happens in this process.
    },
    async close(): Promise<void> {
      clearInterval(watch);
      clearInterval(checkpointer);
      await writeLock.run(async () => {
        if (!db.closed) await db.close();
      });
      await release();
    },
  };
}

/** Bytes of write-ahead log written since the last checkpoint began. */
export async function walSinceCheckpoint(db: Pick<Sql, 'query'>): Promise<number> {
  const [row] = await db.query<{ bytes: string }>('SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), redo_lsn)::text AS bytes FROM pg_control_checkpoint()');
  return Number(row?.bytes ?? 0);
}
