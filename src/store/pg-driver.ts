// PostgreSQL server engine. Several Weft processes may share one database: writes serialise on a
// transaction-scoped advisory lock, and commits are announced with NOTIFY so every process's
// change feed wakes up (LISTEN on one dedicated connection per process).
import pg from 'pg';
import { pgLeadership } from './leadership.js';
import { CHANGE_CHANNEL, MIGRATION_LOCK_KEY, WRITE_LOCK_KEY, type Driver, type Sql, type WriteOutcome } from './driver.js';

type Queryable = pg.Pool | pg.PoolClient | pg.Client;

function sqlOf(db: Queryable): Sql {
  return {
    async query<R extends object>(text: string, params: readonly unknown[] = [], name?: string): Promise<R[]> {
      // A named query is parsed and planned once per connection and reused afterwards.
      const res = await db.query<R & pg.QueryResultRow>({ text, values: params as unknown[], ...(name ? { name } : {}) });
      return res.rows;
    },
    async exec(text: string): Promise<void> {
      await db.query(text);
    },
  };
}

export interface PgOptions {
  url: string;
  poolSize?: number;
  logger: (msg: string) => void;
}

export async function openPostgres(opts: PgOptions): Promise<Driver> {
  // A checkout waits at most this long for a connection: while the database is unreachable,
  // requests fail with 503 instead of hanging.
  const connectionTimeoutMillis = 5000;
  const pool = new pg.Pool({ connectionString: opts.url, max: opts.poolSize ?? 10, application_name: 'weft', connectionTimeoutMillis });
  // Writes are serialised in this process anyway, so they get one connection of their own: the
  // write path never queues behind reads for a pooled connection while it holds the lock.
  const writePool = new pg.Pool({ connectionString: opts.url, max: 1, application_name: 'weft-write', connectionTimeoutMillis });
  for (const p of [pool, writePool]) {
    // An idle client losing its connection must not crash the process; the pool replaces it.
    p.on('error', (err) => opts.logger(`store: idle PostgreSQL connection failed: ${err.message}`));
    // Nor may a checked-out one (a PostgreSQL restart ends every session): pg emits 'error' on
    // the client as well as failing its query, and an 'error' nobody listens to ends the process.
    // The query's own failure reaches the caller; the broken client is discarded on release.
    p.on('connect', (client) => client.on('error', () => undefined));
  }
  await pool.query('SELECT 1'); // fail fast on a bad URL or credentials

  let listener: pg.Client | undefined;
  let onCommit: (() => void) | undefined;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;
  const leadership = pgLeadership({ url: opts.url, log: opts.logger });

  async function connectListener(): Promise<void> {
    const client = new pg.Client({ connectionString: opts.url, application_name: 'weft-listen' });
    client.on('notification', () => onCommit?.());
    const lost = (err?: Error): void => {
      if (listener !== client) return;
      listener = undefined;
      opts.logger(`store: LISTEN connection lost${err ? ` (${err.message})` : ''}; reconnecting`);
      client.end().catch(() => undefined);
      reconnectLater();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGE_CHANNEL}`);
    } catch (e) {
      await client.end().catch(() => undefined);
      throw e;
    }
    if (closed) await client.end();
    else listener = client;
  }

  function reconnectLater(): void {
    if (closed || retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      if (closed) return;
      // Whatever was committed while we were deaf is picked up by the feed's catch-up read, which
      // onCommit triggers; the feed's polling covers the gap meanwhile.
      connectListener().then(() => onCommit?.(), reconnectLater);
    }, 1000);
  }

  return {
    dialect: 'postgres',
    shared: true,
    read: sqlOf(pool),
    async writeTx<T>(fn: (sql: Sql, currentRv: bigint) => Promise<WriteOutcome<T>>): Promise<T> {
      const client = await writePool.connect();
      let broken: Error | undefined;
      try {
        // One round trip: BEGIN, wait for the write lock, then read the counter. In READ COMMITTED
        // each statement takes a fresh snapshot, so the read sees every commit made before we got
        // the lock.
        const begun = (await client.query(
          `BEGIN; SELECT pg_advisory_xact_lock(${WRITE_LOCK_KEY}); SELECT rv::text AS rv FROM weft_state`,
        )) as unknown as pg.QueryResult<{ rv: string }>[];
        const rv = BigInt(begun[2].rows[0].rv);
        const out = await fn(sqlOf(client), rv);
        // lastRv is a bigint we computed, so inlining it is safe; it saves a round trip.
        const done = (await client.query(
          out.lastRv !== undefined ? `UPDATE weft_state SET rv = ${out.lastRv}; NOTIFY ${CHANGE_CHANNEL}, '${out.lastRv}'; COMMIT` : 'COMMIT',
        )) as unknown as pg.QueryResult | pg.QueryResult[];
        const commit = Array.isArray(done) ? done[done.length - 1] : done;
        // COMMIT of a transaction aborted by an earlier error reports ROLLBACK instead of failing.
        if (commit.command === 'ROLLBACK') throw new Error('the transaction was aborted by an earlier error and rolled back');
        return out.value;
      } catch (e) {
        await client.query('ROLLBACK').catch((re: Error) => (broken = re));
        throw e;
      } finally {
        client.release(broken);
      }
    },
    async withMigrationLock<T>(fn: (sql: Sql) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      try {
        await client.query(`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY})`);
        try {
          return await fn(sqlOf(client));
        } finally {
          await client.query(`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY})`);
        }
      } finally {
        client.release();
      }
    },
    async listen(cb: () => void): Promise<void> {
      onCommit = cb;
      if (!listener && !closed) await connectListener();
    },
    acquireLeadership: leadership.acquire,
    async close(): Promise<void> {
      closed = true;
      await leadership.close();
      if (retry) clearTimeout(retry);
      const l = listener;
      listener = undefined;
      await l?.end().catch(() => undefined);
      await Promise.all([pool.end(), writePool.end()]);
    },
  };
}
