// The single door every resource write goes through.
//
// Writes are serialised store-wide (commit order must equal resourceVersion order, see
// docs/store.md), so if each committed on its own, its flush to disk and its round trips would
// all be spent holding the lock. Instead, writes that arrive while a transaction is running wait
// together and then run one after another in ONE transaction — group commit — while each still
// succeeds or fails on its own:
//   - a job that throws before it wrote anything (a failed check: conflict, not found, exists,
//     quota) simply fails; its neighbours are unaffected;
//   - neighbouring plain creates share one INSERT statement (bulk.ts);
//   - a job that throws after writing, or hits a database error (which aborts the transaction),
//     rolls the batch back; then every job of the batch runs again alone, in order, so only the
//     culprit fails. That re-run is why Store.transaction documents that fn may run twice;
//   - a lost database connection fails the whole batch at once (503), without a re-run.
// A transaction may carry its audit entry: it is appended to the chain in the same database
// transaction, only for jobs that succeeded, so a write commits with its entry or not at all.
import type { AuditEntryInput } from '../model/audit.js';
import type { Resource, ResourceInput } from '../model/metadata.js';
import { ConflictError } from '../model/errors.js';
import { createMany, DeferredConflict, flushDeferred } from './bulk.js';
import { mapDbError, unavailableError, type Driver, type Sql } from './driver.js';
import { RvAllocator, type DeferredCreate, type WriteCtx } from './resources.js';

type Op = (ctx: WriteCtx) => Promise<unknown>;

interface Job {
  run: Op;
  /** Set for plain creates: neighbouring ones are inserted by one statement. */
  create?: ResourceInput;
  /** The audit entry of a job that succeeded, built once its work is done. */
  audit?: () => AuditEntryInput;
  /** Its creates go out together (TransactionOptions.batchCreates), even alone in the batch. */
  batchCreates?: boolean;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

export interface WriterOptions {
  driver: Driver;
  now: () => Date;
  /** Called after each commit that wrote resources, with the newest resourceVersion. */
  onCommit: (lastRv: bigint) => void;
  /** Appends audit entries to the chain inside the open transaction (under the write lock). */
  appendAudit: (sql: Sql, entries: AuditEntryInput[]) => Promise<void>;
  maxBatch?: number;
}

export class SerialWriter {
  private queue: Job[] = [];
  private running = false;
  private idle: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly maxBatch: number;

  constructor(private readonly opts: WriterOptions) {
    this.maxBatch = opts.maxBatch ?? 128;
  }

  /** One update or delete: checks first, then exactly one write statement. */
  write<T>(op: (ctx: WriteCtx) => Promise<T>): Promise<T> {
    return this.enqueue({ run: op }) as Promise<T>;
  }

  /** One create; neighbouring creates in a batch share a single INSERT. */
  create(input: ResourceInput, op: (ctx: WriteCtx) => Promise<Resource>): Promise<Resource> {
    return this.enqueue({ run: op, create: input }) as Promise<Resource>;
  }

  /** Caller code that reads and writes; all of it commits (with its audit entry, if any) or none of it does. */
  transaction<T>(op: (ctx: WriteCtx) => Promise<T>, audit?: () => AuditEntryInput, batchCreates = false): Promise<T> {
    return this.enqueue({ run: op, ...(audit ? { audit } : {}), ...(batchCreates ? { batchCreates } : {}) }) as Promise<T>;
  }

  /** Refuses new writes and waits for queued ones to finish. */
  async close(): Promise<void> {
    this.closed = true;
    await this.idle;
  }

  private enqueue(job: Omit<Job, 'resolve' | 'reject'>): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ ...job, resolve, reject });
      if (!this.running) {
        this.running = true;
        this.idle = this.drain();
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      // Yield once so that writes issued in the same tick join the first batch.
      await Promise.resolve();
      while (this.queue.length) await this.runBatch(this.queue.splice(0, this.maxBatch));
    } finally {
      // Cleared in the same synchronous step that saw the queue empty, so no write can slip in
      // between and find neither a running drain nor a reason to start one.
      this.running = false;
    }
  }

  private async runBatch(jobs: Job[]): Promise<void> {
    let outcomes: Outcome[] = [];
    let rv: RvAllocator | undefined;
    try {
      await this.opts.driver.writeTx(async (raw, currentRv) => {
        rv = new RvAllocator(currentRv);
        // Alone, a transaction's creates go out at once, so a duplicate throws AlreadyExists
        // into the caller's code as it would anywhere — unless it asked to batch them; in
        // company they are deferred (bulk.ts).
        const deferred = jobs.length > 1 || jobs[0]?.batchCreates ? [] : undefined;
        const sql = tracking(raw, deferred);
        const ctx: WriteCtx = { sql, rv, now: this.opts.now, cache: new Map(), deferred };
        outcomes = [];
        const audit: AuditEntryInput[] = [];
        for (let i = 0; i < jobs.length; ) {
          let j = i;
          while (j < jobs.length && jobs[j].create) j++;
          if (j - i > 1) {
            outcomes.push(...(await createMany(ctx, jobs.slice(i, j).map((job) => job.create as ResourceInput))));
            i = j;
          } else {
            const outcome = await runOne(ctx, sql, jobs[i]);
            if (outcome.ok && jobs[i].audit) audit.push(jobs[i].audit!());
            outcomes.push(outcome);
            i++;
          }
        }
        if (audit.length > 0) await this.opts.appendAudit(sql, audit);
        if (deferred) await sql.flush();
        return { value: undefined, lastRv: rv.last() };
      });
    } catch (e) {
      const lost = unavailableError(e);
      if (lost) {
        // A lost connection is not any one job's fault, and the batch may even have committed
        // (the connection broke during COMMIT): running the jobs again could apply them twice.
        for (const job of jobs) job.reject(lost);
        return;
      }
      if (jobs.length === 1) {
        jobs[0].reject(e instanceof DeferredConflict ? new ConflictError(`the transaction's creates found a name taken: ${e.message}`) : mapDbError(e));
        return;
      }
      for (const job of jobs) await this.runBatch([job]);
      return;
    }
    const last = rv?.last();
    if (last !== undefined) this.opts.onCommit(last);
    outcomes.forEach((o, i) => (o.ok ? jobs[i].resolve(o.value) : jobs[i].reject(o.error)));
  }
}

type TrackingSql = Sql & { failure: unknown; writes: number; flush(): Promise<void> };

/** Statements that change rows outside the resources table (tokens, logs) count as writing too. */
const WRITING = /^\s*(INSERT|UPDATE|DELETE)\b/i;

/**
 * The batch's view of its connection: sends deferred creates before any other statement (so
 * every read sees them), and remembers the first failure — after a database error the
 * transaction is aborted, whatever the caller did with the error.
 */
function tracking(sql: Sql, deferred: DeferredCreate[] | undefined): TrackingSql {
  const guard = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      if (deferred?.length) await flushDeferred(sql, deferred);
      return await fn();
    } catch (e) {
      t.failure ??= e;
      throw e;
    }
  };
  const t: TrackingSql = {
    failure: undefined,
    writes: 0,
    query: (text, params, name) => {
      if (WRITING.test(text)) t.writes++;
      return guard(() => sql.query(text, params, name));
    },
    exec: (text) => guard(() => sql.exec(text)),
    flush: () => guard(async () => undefined),
  };
  return t;
}

/**
 * Runs one job inside the batch's transaction. Returns its outcome when the transaction is still
 * good for its neighbours; throws when the batch must roll back (the job wrote and then threw, or
 * the database refused something).
 */
async function runOne(ctx: WriteCtx, sql: TrackingSql, job: Job): Promise<Outcome> {
  const before = ctx.rv.peek();
  const writesBefore = sql.writes;
  try {
    const value = await job.run(ctx);
    if (sql.failure !== undefined) throw sql.failure as Error; // the job swallowed a database error
    return { ok: true, value };
  } catch (e) {
    if (sql.failure !== undefined || ctx.rv.peek() !== before || sql.writes !== writesBefore) throw e;
    return { ok: false, error: e };
  }
}
