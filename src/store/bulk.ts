// Many creates in one statement. Group commit already shares one transaction (and one flush)
// among concurrent writes; this also shares the round trip, which is what bounds create
// throughput on a server database. Runs under the store-wide write lock like every write, so
// "does the key exist" cannot change between the check and the insert; the primary key still
// refuses a duplicate if that assumption were ever broken (the batch then falls back to one
// write at a time).
import { AlreadyExistsError } from '../model/errors.js';
import type { Resource, ResourceInput } from '../model/metadata.js';
import type { Sql } from './driver.js';
import { describe, forgetWritten, newBody, toResource, type Body, type DeferredCreate, type WriteCtx } from './resources.js';

export type CreateOutcome = { ok: true; value: Resource } | { ok: false; error: unknown };

// Rows arrive as one jsonb array; row_number() hands out consecutive versions to the rows that
// are really inserted, in input order, so refused rows leave no hole in the sequence.
const CREATE_MANY_SQL = `
WITH input AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb)
    AS x(i int, kind text, project text, name text, uid uuid, created_at timestamptz, body jsonb, labels jsonb)
), fresh AS (
  SELECT input.*, $2::bigint + row_number() OVER (ORDER BY input.i) AS rv
    FROM input
   WHERE NOT EXISTS (SELECT 1 FROM resources r WHERE r.kind = input.kind AND r.project = input.project AND r.name = input.name)
), ins AS (
  INSERT INTO resources (kind, project, name, uid, resource_version, generation, created_at, body, labels)
  SELECT kind, project, name, uid, rv, 1, created_at, body, labels FROM fresh
), log AS (
  INSERT INTO changes (rv, type, kind, project, name, object)
  SELECT rv, 'ADDED', kind, project, name, body FROM fresh
)
SELECT i, rv::text AS rv FROM fresh`;

/**
 * Creates every input it can, in order; returns one outcome per input. Validation errors of an
 * input (missing name) and duplicates (stored or earlier in the list) fail only that input.
 */
export async function createMany(ctx: WriteCtx, inputs: readonly ResourceInput[]): Promise<CreateOutcome[]> {
  const outcomes: (CreateOutcome | undefined)[] = new Array(inputs.length);
  const rows: { i: number; kind: string; project: string; name: string; uid: string; created_at: string; body: Body; labels: Record<string, string> }[] = [];
  const seen = new Set<string>();
  const now = ctx.now();
  inputs.forEach((input, i) => {
    try {
      const { key, body } = newBody(input, now);
      const id = JSON.stringify([key.kind, key.project, key.name]);
      if (seen.has(id)) throw new AlreadyExistsError(`${describe(key)} already exists`);
      seen.add(id);
      rows.push({ i, ...key, uid: body.metadata.uid, created_at: body.metadata.creationTimestamp, body, labels: input.metadata.labels ?? {} });
    } catch (error) {
      outcomes[i] = { ok: false, error };
    }
  });
  if (rows.length) {
    const json = JSON.stringify(rows);
    const base = ctx.rv.peek() - 1n;
    const inserted = await ctx.sql.query<{ i: number; rv: string }>(CREATE_MANY_SQL, [json, base.toString()], 'weft_create_many');
    const rvOf = new Map(inserted.map((r) => [Number(r.i), r.rv]));
    for (let n = 0; n < inserted.length; n++) ctx.rv.consume();
    for (const row of rows) forgetWritten(ctx, row);
    // Re-parse what was stored so every caller gets its own copy, exactly as a get would return it.
    const stored = JSON.parse(json) as typeof rows;
    for (const row of stored) {
      const rv = rvOf.get(row.i);
      outcomes[row.i] = rv !== undefined ? { ok: true, value: toResource(row.body, rv) } : { ok: false, error: new AlreadyExistsError(`${describe(row)} already exists`) };
    }
  }
  return outcomes as CreateOutcome[];
}

const FLUSH_SQL = `
WITH input AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb)
    AS x(rv bigint, kind text, project text, name text, uid uuid, created_at timestamptz, body jsonb, labels jsonb)
), ins AS (
  INSERT INTO resources (kind, project, name, uid, resource_version, generation, created_at, body, labels)
  SELECT kind, project, name, uid, rv, 1, created_at, body, labels FROM input
  ON CONFLICT (kind, project, name) DO NOTHING
  RETURNING kind, project, name, resource_version, body
), log AS (
  INSERT INTO changes (rv, type, kind, project, name, object)
  SELECT resource_version, 'ADDED', kind, project, name, body FROM ins
)
SELECT count(*)::int AS n FROM ins`;

/** A deferred create hit an existing object: the batch must roll back and run job by job. */
export class DeferredConflict extends Error {}

/**
 * Writes the creates that callers' transactions deferred, in one statement. Their versions
 * were handed out already; if any key turns out to exist, nothing of the batch may commit.
 */
export async function flushDeferred(sql: Sql, pending: DeferredCreate[]): Promise<void> {
  if (pending.length === 0) return;
  const rows = pending.splice(0, pending.length);
  const [res] = await sql.query<{ n: number }>(FLUSH_SQL, [JSON.stringify(rows)], 'weft_flush_creates');
  if (Number(res.n) !== rows.length) throw new DeferredConflict('a deferred create found its name taken');
}
