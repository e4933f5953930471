// The audit log (migration 003). Appends join the chain under the store-wide write lock — the
// same lock resource writes take, in-process on PGlite and an advisory lock on PostgreSQL — so
// every process sees one linear chain. Appends are gathered for a few milliseconds and go out
// as one transaction (group commit), so auditing costs the write path one short transaction per
// burst of requests, not one per request.
import { ValidationError } from '../model/errors.js';
import { chainHash, checkSegment, GENESIS_HASH } from './audit-hash.js';
import { mapDbError, type Driver, type Sql } from './driver.js';
import { AnchorCheck } from './audit-anchors.js';
import type { AuditAnchor, AuditEntry, AuditEntryInput, AuditHead, AuditLog, AuditPrincipalKind, AuditQuery, AuditVerifyResult } from './types.js';

const KINDS: readonly AuditPrincipalKind[] = ['user', 'node', 'anonymous'];
const MAX_BATCH = 500;
const BATCH_WINDOW_MS = 10;
const VERIFY_PAGE = 1000;
export const AUDIT_DEFAULT_LIMIT = 100;
export const AUDIT_MAX_LIMIT = 10_000;
// Selected as text (a bigint may exceed 2^53); ORDER BY must then name audit_log.id, not the text alias.
const COLUMNS = 'id::text AS id, time, request_id, principal, principal_kind, verb, kind, project, name, method, path, status, source, prev_hash, hash';
const INSERT_COLUMNS = 'id, time, request_id, principal, principal_kind, verb, kind, project, name, method, path, status, source, prev_hash, hash';

interface Row {
  id: string;
  time: Date | string;
  request_id: string;
  principal: string;
  principal_kind: AuditPrincipalKind;
  verb: string;
  kind: string;
  project: string;
  name: string;
  method: string;
  path: string;
  status: number;
  source: string;
  prev_hash: string;
  hash: string;
}

function toEntry(r: Row): AuditEntry {
  return {
    id: r.id,
    time: (r.time instanceof Date ? r.time : new Date(r.time)).toISOString(),
    requestId: r.request_id,
    principal: r.principal,
    principalKind: r.principal_kind,
    verb: r.verb,
    kind: r.kind,
    project: r.project,
    name: r.name,
    method: r.method,
    path: r.path,
    status: Number(r.status),
    source: r.source,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

const TEXT_FIELDS = ['requestId', 'principal', 'verb', 'kind', 'project', 'name', 'method', 'path', 'source'] as const;

type Normalised = Omit<AuditEntry, 'id' | 'prevHash' | 'hash'>;

/** Checks one input and fixes its time to the millisecond, which is what the chain hashes. */
export function normaliseAuditEntry(e: AuditEntryInput, now: () => Date): Normalised {
  for (const f of TEXT_FIELDS) {
    const v = e[f];
    if (typeof v !== 'string' || v.length > 4096 || v.includes('\u0000')) throw ValidationError.field(f, 'must be a string of at most 4096 characters');
  }
  if (!KINDS.includes(e.principalKind)) throw ValidationError.field('principalKind', `must be one of ${KINDS.join(', ')}`);
  if (!Number.isInteger(e.status) || e.status < 100 || e.status > 599) throw ValidationError.field('status', 'must be an HTTP status code');
  const t = e.time === undefined ? now() : new Date(e.time);
  if (Number.isNaN(t.getTime())) throw ValidationError.field('time', 'must be an RFC 3339 timestamp');
  return { ...e, time: t.toISOString() };
}

interface Pending {
  entries: Normalised[];
  resolve: (v: AuditEntry[]) => void;
  reject: (e: unknown) => void;
}

export class SqlAuditLog implements AuditLog {
  private queue: Pending[] = [];
  private running: Promise<void> | undefined;

  constructor(
    private readonly driver: Driver,
    private readonly read: Sql,
    private readonly now: () => Date,
  ) {}

  append(entries: AuditEntryInput[]): Promise<AuditEntry[]> {
    let checked: Pending['entries'];
    try {
      checked = entries.map((e) => normaliseAuditEntry(e, this.now));
    } catch (e) {
      return Promise.reject(e as Error); // normalising throws only typed errors
    }
    if (checked.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.queue.push({ entries: checked, resolve, reject });
      this.running ??= this.drain();
    });
  }

  async flush(): Promise<void> {
    while (this.running) await this.running;
  }

  async list(q: AuditQuery = {}): Promise<AuditEntry[]> {
    await this.flush();
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (cond: (n: string) => string, value: unknown): void => {
      params.push(value);
      where.push(cond(`$${params.length}`));
    };
    if (q.project !== undefined) add((n) => `project = ${n}`, q.project);
    if (q.projects !== undefined) add((n) => `project = ANY(${n}::text[])`, q.projects);
    if (q.user !== undefined) add((n) => `principal = ${n}`, q.user);
    if (q.since !== undefined) {
      const t = new Date(q.since);
      if (Number.isNaN(t.getTime())) throw ValidationError.field('since', 'must be an RFC 3339 timestamp');
      add((n) => `time >= ${n}`, t.toISOString());
    }
    if (q.after !== undefined) {
      if (!/^[0-9]{1,19}$/.test(q.after)) throw ValidationError.field('after', 'must be an entry id');
      add((n) => `id > ${n}::bigint`, q.after);
    }
    const limit = q.limit ?? AUDIT_DEFAULT_LIMIT;
    if (!Number.isInteger(limit) || limit < 1 || limit > AUDIT_MAX_LIMIT) throw ValidationError.field('limit', `must be an integer from 1 to ${AUDIT_MAX_LIMIT}`);
    params.push(limit);
    const text = `SELECT ${COLUMNS} FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY audit_log.id LIMIT $${params.length}`;
    try {
      return (await this.read.query<Row>(text, params)).map(toEntry);
    } catch (e) {
      throw mapDbError(e);
    }
  }

  async verify(anchors?: readonly AuditAnchor[]): Promise<AuditVerifyResult> {
    await this.flush();
    const anchored = anchors ? new AnchorCheck(anchors) : undefined;
    let prev = GENESIS_HASH;
    let after = '0';
    let checked = 0;
    let lastId: string | undefined;
    let broken: AuditVerifyResult | undefined;
    // Pages by id: appends commit in id order under the write lock, so a page read later never
    // finds a gap that an earlier page skipped.
    for (;;) {
      const rows = await this.read.query<Row>(`SELECT ${COLUMNS} FROM audit_log WHERE id > $1::bigint ORDER BY audit_log.id LIMIT ${VERIFY_PAGE}`, [after]);
      const page = rows.map(toEntry);
      const seg = checkSegment(page, prev);
      if (!seg.ok) {
        broken = { ...seg, checked: checked + seg.checked };
        break;
      }
      for (const e of page) {
        checked++;
        anchored?.see(e, checked);
      }
      if (page.length > 0) {
        prev = page[page.length - 1]!.hash;
        lastId = page[page.length - 1]!.id;
        after = lastId;
      }
      if (rows.length < VERIFY_PAGE) break;
    }
    if (broken) return anchored ? { ...broken, checkpoints: { matched: 0, problems: ['not compared with the checkpoints: the chain itself is broken'] } } : broken;
    if (!anchored) return { ok: true, checked };
    const report = anchored.finish(checked, lastId);
    return report.problems.length > 0 ? { ok: false, checked, reason: report.problems[0], checkpoints: report } : { ok: true, checked, checkpoints: report };
  }

  async head(afterId?: string): Promise<AuditHead | undefined> {
    await this.flush();
    if (afterId !== undefined && !/^[0-9]{1,19}$/.test(afterId)) throw ValidationError.field('after', 'must be an entry id');
    // One statement, one snapshot: the count and the head agree.
    const [row] = await this.read.query<{ id: string; hash: string; n: string }>(
      `SELECT t.id::text AS id, t.hash, (SELECT count(*) FROM audit_log a WHERE a.id > $1::bigint AND a.id <= t.id)::text AS n
         FROM audit_log t WHERE t.id > $1::bigint ORDER BY t.id DESC LIMIT 1`,
      [afterId ?? '0'],
    );
    return row ? { id: row.id, hash: row.hash, count: Number(row.n) } : undefined;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length) {
        // Nobody waits for an append (the response has gone), so gathering for a few
        // milliseconds costs nothing and turns a burst of requests into one transaction.
        await new Promise((r) => setTimeout(r, BATCH_WINDOW_MS));
        const batch: Pending[] = [];
        let n = 0;
        while (this.queue.length && (n === 0 || n + this.queue[0]!.entries.length <= MAX_BATCH)) {
          const p = this.queue.shift()!;
          batch.push(p);
          n += p.entries.length;
        }
        try {
          const written = await this.driver.writeTx(async (sql) => ({ value: await insertAuditEntries(sql, batch.flatMap((p) => p.entries)) }));
          let at = 0;
          for (const p of batch) {
            p.resolve(written.slice(at, at + p.entries.length));
            at += p.entries.length;
          }
        } catch (e) {
          for (const p of batch) p.reject(mapDbError(e));
        }
      }
    } finally {
      this.running = undefined;
    }
  }
}

/**
 * Runs under the write lock, inside whatever transaction holds it (the audit queue's own, or a
 * resource write's, so that the entry commits with the write it records): reads the chain's
 * head, links the new entries, inserts them.
 */
export async function insertAuditEntries(sql: Sql, entries: readonly Normalised[]): Promise<AuditEntry[]> {
  const [head] = await sql.query<{ hash: string }>('SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1');
  const ids = (await sql.query<{ id: string }>("SELECT nextval('audit_log_id_seq')::text AS id FROM generate_series(1, $1::integer)", [entries.length]))
    .map((r) => BigInt(r.id))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let prev = head?.hash ?? GENESIS_HASH;
  const out: AuditEntry[] = entries.map((e, i) => {
    const linked = { ...e, id: ids[i]!.toString() };
    const hash = chainHash(prev, linked);
    const entry = { ...linked, prevHash: prev, hash };
    prev = hash;
    return entry;
  });
  const params: unknown[] = [];
  const values = out.map((e) => {
    const row = [e.id, e.time, e.requestId, e.principal, e.principalKind, e.verb, e.kind, e.project, e.name, e.method, e.path, e.status, e.source, e.prevHash, e.hash];
    const at = params.length;
    params.push(...row);
    return `(${row.map((_, j) => `$${at + j + 1}${j === 0 ? '::bigint' : j === 1 ? '::timestamptz' : j === 11 ? '::integer' : ''}`).join(', ')})`;
  });
  await sql.query(`INSERT INTO audit_log (${INSERT_COLUMNS}) VALUES ${values.join(', ')}`, params);
  return out;
}
