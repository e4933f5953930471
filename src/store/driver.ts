// The thin seam between the store's logic and the two database engines. Everything above this
// file speaks plain SQL through `Sql`; the drivers only differ in how they hold connections, take
// the store-wide write lock and learn about commits made by other processes.
import { ConflictError, StoreUnavailableError, ValidationError } from '../model/errors.js';
import type { Leadership } from './types.js';

export interface Sql {
  /** One parameterised statement. `name` makes it a prepared statement where the engine supports it. */
  query<R extends object>(text: string, params?: readonly unknown[], name?: string): Promise<R[]>;
  /** Several statements without parameters (migrations). */
  exec(text: string): Promise<void>;
}

/** What a write transaction hands back: its value and the last resourceVersion it assigned. */
export interface WriteOutcome<T> {
  value: T;
  /** Highest resourceVersion written; absent when the transaction changed no resource. */
  lastRv?: bigint;
}

export interface Driver {
  readonly dialect: 'pglite' | 'postgres';
  /** Reads outside write transactions. */
  readonly read: Sql;
  /**
   * Runs fn in one transaction that holds the store-wide write lock from its first statement to
   * its commit, so commit order equals resourceVersion order. fn receives the committed
   * resourceVersion at lock time; when it reports a lastRv the driver stores it and announces it.
   */
  writeTx<T>(fn: (sql: Sql, currentRv: bigint) => Promise<WriteOutcome<T>>): Promise<T>;
  /** Runs fn holding the migration lock (so two processes starting at once migrate once). */
  withMigrationLock<T>(fn: (sql: Sql) => Promise<T>): Promise<T>;
  /**
   * Starts listening for commits made through other connections (other processes). Only the
   * PostgreSQL driver has any; `shared` tells the change feed whether to poll as a safety net.
   */
  listen(onCommit: () => void): Promise<void>;
  readonly shared: boolean;
  /** Leader election among the processes sharing this database (see leadership.ts). */
  acquireLeadership(name: string, signal: AbortSignal): Promise<Leadership>;
  close(): Promise<void>;
}

/** Advisory lock keys (arbitrary, fixed): one serialises writes, one serialises migrations. */
export const WRITE_LOCK_KEY = 7_305_411_101n;
export const MIGRATION_LOCK_KEY = 7_305_411_102n;
/** NOTIFY channel that carries the newest committed resourceVersion. */
export const CHANGE_CHANNEL = 'weft_changes';

interface DbErrorLike {
  code: string;
  message: string;
  constraint?: string;
}

export function isDbError(e: unknown): e is DbErrorLike {
  if (typeof e !== 'object' || e === null) return false;
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
}

/**
 * Turns database errors caused by the caller's data (NUL bytes, broken Unicode escapes, values
 * too large for an index) into 4xx errors; everything else is a genuine fault and passes through.
 */
export function mapDbError(e: unknown): unknown {
  const unavailable = unavailableError(e);
  if (unavailable) return unavailable;
  if (!isDbError(e)) return e;
  // The GPU ledger (migration 002): its trigger explains a double booking (WL409) or a malformed
  // holding (WL422); its constraints are the backstop should the trigger ever miss one.
  if (e.code === 'WL409') return new ConflictError(e.message);
  if (e.code === 'WL422') return new ValidationError(e.message);
  if ((e.code === '23505' || e.code === '23514') && /gpu_(usage|slices)/.test(`${e.constraint ?? ''} ${e.message}`)) {
    return new ConflictError(`GPU already allocated: ${e.message}`);
  }
  // Class 22 is "data exception": invalid text, bad escapes, out-of-range numbers.
  if (e.code.startsWith('22')) return new ValidationError(`invalid value: ${e.message}`);
  if (e.code === '54000') return new ValidationError(`value too large: ${e.message}`);
  return e;
}

/** Node's errors for a connection that could not be made or broke. */
const NET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/** What the pg driver says when its connection ends under a query or a checkout times out. */
const LOST_CONNECTION = /^(Connection terminated|Client has encountered a connection error|Client was closed|timeout exceeded when trying to connect|Connection terminated unexpectedly)/;

/**
 * A database that is restarting, unreachable or out of disk is not a bug in the request: it is a
 * 503 (507 for a full disk) the caller may retry, and /readyz says so meanwhile.
 */
export function unavailableError(e: unknown): StoreUnavailableError | undefined {
  if (e instanceof StoreUnavailableError) return e;
  if (typeof e !== 'object' || e === null) return undefined;
  const { code, message } = e as { code?: unknown; message?: unknown };
  const text = typeof message === 'string' ? message : String(e);
  if (isDbError(e)) {
    // 53100 disk_full, 53200 out_of_memory
    if (e.code === '53100') return new StoreUnavailableError(`the database is out of disk space: ${text}`, 507);
    // Class 08: connection exception; 57P01-57P03: the server is shutting down, crashed or starting.
    if (e.code.startsWith('08') || /^57P0[1-3]$/.test(e.code) || e.code === '53300') return new StoreUnavailableError(`the database is unavailable: ${text}`);
    // Class 58: the database's own files failed it (I/O error, a file gone from under it).
    if (e.code.startsWith('58')) return new StoreUnavailableError(`the database cannot use its files: ${text}`);
    return undefined;
  }
  if ((typeof code === 'string' && NET_CODES.has(code)) || LOST_CONNECTION.test(text)) return new StoreUnavailableError(`the database is unreachable: ${text}`);
  return undefined;
}

/** A query function over `sql` whose database errors arrive as the store's typed errors. */
export function mappedQuery(sql: Sql): <R extends object>(text: string, params: unknown[], name?: string) => Promise<R[]> {
  return async <R extends object>(text: string, params: unknown[], name?: string): Promise<R[]> => {
    try {
      return await sql.query<R>(text, params, name);
    } catch (e) {
      throw mapDbError(e);
    }
  };
}
