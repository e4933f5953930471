// Replica log chunks at rest (migration 005). Idempotent per (allocation uid, seq); each
// allocation keeps at most `maxBytesPerAllocation` of the newest chunks, so a chatty replica can
// never fill the database. Like tokens, these rows are not resources and bypass the writer.
import { ValidationError } from '../model/errors.js';
import { mappedQuery, type Sql } from './driver.js';

export type LogStream = 'stdout' | 'stderr';

export interface LogChunk {
  seq: number;
  stream: LogStream;
  data: string;
  /** RFC 3339; the store's clock when the sender gave none. */
  time: string;
}

export interface LogChunkInput {
  seq: number;
  stream: LogStream;
  data: string;
  time?: string;
}

export interface LogReadOptions {
  /** Only chunks with a greater seq (following a stream). */
  afterSeq?: number;
  /** Only the last `tail` chunks. */
  tail?: number;
}

export interface LogStore {
  /** Stores the chunks not stored yet and trims the allocation to its budget; returns how many were new. */
  append(alloc: { uid: string; project: string }, chunks: readonly LogChunkInput[]): Promise<number>;
  /** Oldest first. */
  read(allocUid: string, opts?: LogReadOptions): Promise<LogChunk[]>;
  /** Forgets an allocation's logs (its owner is gone). */
  remove(allocUid: string): Promise<void>;
  readonly maxBytesPerAllocation: number;
}

export const DEFAULT_MAX_LOG_BYTES = 1024 * 1024;
export const MAX_CHUNK_BYTES = 64 * 1024;
export const MAX_SEQ = Number.MAX_SAFE_INTEGER;

interface Row {
  seq: string | number;
  stream: LogStream;
  data: string;
  time: Date | string;
}

function checkChunk(c: LogChunkInput, i: number): void {
  const at = `chunks[${i}]`;
  if (!Number.isSafeInteger(c.seq) || c.seq < 0) throw ValidationError.field(`${at}.seq`, 'must be an integer ≥ 0');
  if (c.stream !== 'stdout' && c.stream !== 'stderr') throw ValidationError.field(`${at}.stream`, 'must be "stdout" or "stderr"');
  if (typeof c.data !== 'string') throw ValidationError.field(`${at}.data`, 'must be a string');
  if (Buffer.byteLength(c.data, 'utf8') > MAX_CHUNK_BYTES) throw ValidationError.field(`${at}.data`, `must be at most ${MAX_CHUNK_BYTES} bytes`);
  if (c.data.includes('\u0000')) throw ValidationError.field(`${at}.data`, 'must not contain NUL characters');
  if (c.time !== undefined && (typeof c.time !== 'string' || Number.isNaN(Date.parse(c.time)))) throw ValidationError.field(`${at}.time`, 'must be an RFC 3339 timestamp');
}

export function sqlLogStore(sql: Sql, now: () => Date, maxBytesPerAllocation = DEFAULT_MAX_LOG_BYTES): LogStore {
  const run = mappedQuery(sql);
  return {
    maxBytesPerAllocation,

    async append(alloc, chunks) {
      chunks.forEach(checkChunk);
      if (chunks.length === 0) return 0;
      const at = now().toISOString();
      const values: string[] = [];
      const params: unknown[] = [alloc.uid, alloc.project];
      for (const c of chunks) {
        const n = params.length;
        values.push(`($1, $2, $${n + 1}, $${n + 2}, $${n + 3}, $${n + 4}, $${n + 5})`);
        params.push(c.seq, c.stream, new Date(c.time ?? at).toISOString(), c.data, Buffer.byteLength(c.data, 'utf8'));
      }
      const inserted = await run<{ seq: string }>(
        `INSERT INTO allocation_logs (alloc_uid, project, seq, stream, time, data, bytes) VALUES ${values.join(', ')}
         ON CONFLICT (alloc_uid, seq) DO NOTHING RETURNING seq`,
        params,
      );
      // Keep the newest chunks whose running total fits the budget; drop everything older.
      await run(
        `DELETE FROM allocation_logs WHERE alloc_uid = $1 AND seq IN (
           SELECT seq FROM (SELECT seq, SUM(bytes) OVER (ORDER BY seq DESC) AS total FROM allocation_logs WHERE alloc_uid = $1) t
            WHERE t.total > $2)`,
        [alloc.uid, maxBytesPerAllocation],
      );
      return inserted.length;
    },

    async read(allocUid, opts = {}) {
      const after = opts.afterSeq ?? -1;
      const rows =
        opts.tail !== undefined
          ? await run<Row>(
              `SELECT seq, stream, data, time FROM (
                 SELECT seq, stream, data, time FROM allocation_logs WHERE alloc_uid = $1 AND seq > $2 ORDER BY seq DESC LIMIT $3) t
               ORDER BY seq`,
              [allocUid, after, opts.tail],
            )
          : await run<Row>('SELECT seq, stream, data, time FROM allocation_logs WHERE alloc_uid = $1 AND seq > $2 ORDER BY seq', [allocUid, after]);
      return rows.map((r) => ({ seq: Number(r.seq), stream: r.stream, data: r.data, time: (r.time instanceof Date ? r.time : new Date(r.time)).toISOString() }));
    },

    async remove(allocUid) {
      await run('DELETE FROM allocation_logs WHERE alloc_uid = $1', [allocUid]);
    },
  };
}
