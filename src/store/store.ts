// The Store: reads go straight to the engine, resource writes go through the serial writer, and
// watches through the shared change feed. Both engines run this same code and the same SQL.
import type { Resource, ResourceInput } from '../model/metadata.js';
import { ValidationError } from '../model/errors.js';
import { insertAuditEntries, normaliseAuditEntry, SqlAuditLog } from './audit.js';
import { mapDbError, type Driver, type Sql } from './driver.js';
import { ChangeFeed } from './feed.js';
import { createResource, deleteResource, getInTx, getManyInTx, getManyResources, getResource, kindStamp, kindStampInTx, listInTx, listResources, updateManyResources, updateResource, type WriteCtx } from './resources.js';
import { sqlTokenStore } from './tokens.js';
import { sqlSecretStore, type SecretValueStore } from './secrets.js';
import type { AuditLog, Leadership, ListOptions, ListResult, ObjectKey, Store, StoreTx, TokenStore, TransactionOptions, WatchEvent, WatchOptions, WriteOptions } from './types.js';
import { watchChanges } from './watch.js';
import { SerialWriter } from './writer.js';
import { SqlUsageStore, type UsageStore } from './usage.js';
import { readSummary, type SummaryQuery } from './summary.js';
import type { FleetSummary } from '../model/summary.js';
import { sqlLogStore, type LogStore } from './logs.js';
import { sqlHeartbeatStore, type HeartbeatStore } from './heartbeats.js';

async function mapped<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    throw mapDbError(e);
  }
}

/** A StoreTx over one open write transaction: its reads see its own writes. */
function txOver(ctx: WriteCtx): StoreTx {
  return {
    get: (key) => getInTx(ctx, key),
    getMany: (keys) => getManyInTx(ctx, keys),
    list: (kind, opts) => listInTx(ctx, kind, opts),
    stamp: (kinds) => kindStampInTx(ctx, kinds),
    create: (input) => createResource(ctx, input),
    update: (input, opts) => updateResource(ctx, input, opts),
    updateMany: (items) => updateManyResources(ctx, items),
    delete: (key, opts) => deleteResource(ctx, key, opts),
    tokens: sqlTokenStore(ctx.sql, ctx.now),
    logs: sqlLogStore(ctx.sql, ctx.now),
    secrets: sqlSecretStore(ctx.sql, ctx.now),
  };
}

export interface SqlStoreOptions {
  driver: Driver;
  now: () => Date;
  log: (msg: string) => void;
  /** Safety-net poll for commits by other processes (ms); only used on shared engines. */
  pollMs?: number;
  watchBuffer?: number;
}

/**
 * Each store's driver, for tests and operator tools that must reach the database beneath the
 * store's rules (the audit tamper tests do). Kept out of the Store interface on purpose.
 */
const DRIVERS = new WeakMap<Store, Driver>();

/** Rows per statement when the embedded engine lists a whole kind (see listInPages). */
const LIST_PAGE = 1000;

export function driverOf(store: Store): Driver | undefined {
  return DRIVERS.get(store);
}

export class SqlStore implements Store {
  readonly dialect: 'pglite' | 'postgres';
  readonly tokens: TokenStore;
  readonly audit: AuditLog;
  readonly usage: UsageStore;
  readonly logs: LogStore;
  readonly secrets: SecretValueStore;
  readonly heartbeats: HeartbeatStore;
  private readonly driver: Driver;
  private readonly now: () => Date;
  private readonly read: Sql;
  private readonly feed: ChangeFeed;
  private readonly writer: SerialWriter;
  private closing: Promise<void> | undefined;

  constructor(opts: SqlStoreOptions) {
    this.driver = opts.driver;
    this.now = opts.now;
    this.dialect = opts.driver.dialect;
    this.read = opts.driver.read;
    this.feed = new ChangeFeed({
      sql: this.read,
      pollMs: opts.driver.shared ? (opts.pollMs ?? 1000) : 0,
      log: opts.log,
      maxBuffered: opts.watchBuffer,
    });
    this.writer = new SerialWriter({
      driver: opts.driver,
      now: opts.now,
      onCommit: () => this.feed.notify(),
      appendAudit: async (sql, entries) => {
        await insertAuditEntries(sql, entries.map((e) => normaliseAuditEntry(e, opts.now)));
      },
    });
    this.tokens = sqlTokenStore(this.read, opts.now);
    this.audit = new SqlAuditLog(opts.driver, this.read, opts.now);
    this.usage = new SqlUsageStore(this.read);
    this.logs = sqlLogStore(this.read, opts.now);
    this.secrets = sqlSecretStore(this.read, opts.now);
    this.heartbeats = sqlHeartbeatStore(this.read);
    DRIVERS.set(this, opts.driver);
  }

  /** Starts following commits made by other processes (PostgreSQL). */
  async start(): Promise<void> {
    await this.driver.listen(() => this.feed.notify());
  }

  get(key: ObjectKey): Promise<Resource | undefined> {
    return mapped(getResource(this.read, key));
  }

  getMany(keys: readonly ObjectKey[]): Promise<(Resource | undefined)[]> {
    return mapped(getManyResources(this.read, keys));
  }

  list(kind: string, opts: ListOptions = {}): Promise<ListResult> {
    if (this.driver.dialect !== 'pglite' || opts.limit !== undefined) return mapped(listResources(this.read, kind, opts));
    return mapped(this.listInPages(kind, opts));
  }

  /**
   * The embedded engine runs each statement on the one connection, and in this thread: a list of
   * a large kind in one statement (90,000 Jobs: 6 s on a loaded machine) held every other query
   * and the event loop until it was done, so a restarted server's own start-up lists kept its API
   * from answering for a minute. Read in pages instead, letting what waits run in between. The
   * result is what a client paging through the list gets (docs/store.md): the first page's
   * version, so a watch from it may replay a change a later page already shows.
   */
  private async listInPages(kind: string, opts: ListOptions): Promise<ListResult> {
    const first = await listResources(this.read, kind, { ...opts, limit: LIST_PAGE });
    const items = first.items;
    let cont = first.continue;
    while (cont) {
      const page = await listResources(this.read, kind, { ...opts, limit: LIST_PAGE, continue: cont });
      items.push(...page.items);
      cont = page.continue;
    }
    return { items, resourceVersion: first.resourceVersion };
  }

  stamp(kinds: readonly string[]): Promise<string> {
    return mapped(kindStamp(this.read, kinds));
  }

  create(input: ResourceInput): Promise<Resource> {
    return this.writer.create(input, (ctx) => createResource(ctx, input));
  }

  update(input: ResourceInput, opts?: WriteOptions): Promise<Resource> {
    return this.writer.write((ctx) => updateResource(ctx, input, opts));
  }

  updateMany(items: readonly { input: ResourceInput; opts?: WriteOptions }[]): Promise<Resource[]> {
    return this.writer.write((ctx) => updateManyResources(ctx, items));
  }

  delete(key: ObjectKey, opts?: WriteOptions): Promise<Resource> {
    return this.writer.write((ctx) => deleteResource(ctx, key, opts));
  }

  transaction<T>(fn: (tx: StoreTx) => Promise<T>, opts: TransactionOptions = {}): Promise<T> {
    return this.writer.transaction((ctx) => fn(txOver(ctx)), opts.audit, opts.batchCreates === true);
  }

  watch(opts: WatchOptions): AsyncIterable<WatchEvent> {
    return watchChanges(this.feed, this.read, opts);
  }

  summary(q: SummaryQuery): Promise<FleetSummary> {
    return mapped(readSummary(this.read, q, this.now()));
  }

  async currentResourceVersion(): Promise<string> {
    const [row] = await mapped(this.read.query<{ rv: string }>('SELECT rv::text AS rv FROM weft_state', [], 'weft_state_rv'));
    return row.rv;
  }

  async databaseId(): Promise<string> {
    const [row] = await mapped(this.read.query<{ id: string }>('SELECT id::text AS id FROM database_identity'));
    return row!.id;
  }

  async compact(keep: number): Promise<void> {
    if (!Number.isInteger(keep) || keep < 0) throw ValidationError.field('keep', 'must be a non-negative integer');
    await this.writer.transaction(async ({ sql, rv }) => {
      // Everything up to and including `upTo` goes; with keep = 0 that is the whole log.
      let upTo = rv.peek() - 1n;
      if (keep > 0) {
        const [row] = await sql.query<{ rv: string }>('SELECT c.rv::text AS rv FROM changes c ORDER BY c.rv DESC OFFSET $1 LIMIT 1', [keep]);
        if (!row) return;
        upTo = BigInt(row.rv);
      }
      await sql.query('DELETE FROM changes WHERE rv <= $1', [upTo.toString()]);
      await sql.query('UPDATE weft_state SET compacted_rv = GREATEST(compacted_rv, $1::bigint)', [upTo.toString()]);
    });
  }

  async vacuum(): Promise<void> {
    if (this.driver.dialect !== 'pglite') return;
    // Only the tables every write touches; VACUUM cannot run inside a transaction, and on the
    // single embedded connection it simply waits for the current one. One table per statement,
    // so requests waiting on the connection are served between them.
    for (const table of ['resources', 'changes', 'gpu_usage', 'node_heartbeats']) await mapped(this.read.exec(`VACUUM (ANALYZE) ${table}`));
    // Nor a checkpointer: a checkpoint now lets the write-ahead log recycle its old segments.
    await mapped(this.read.exec('CHECKPOINT'));
  }

  acquireLeadership(name: string, signal: AbortSignal): Promise<Leadership> {
    return this.driver.acquireLeadership(name, signal);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.feed.close();
      // Audit entries already accepted must reach the chain before the connection goes.
      await this.audit.flush();
      await this.writer.close();
      await this.driver.close();
    })();
    return this.closing;
  }
}
