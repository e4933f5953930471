// Reads and writes of the generic resources table. Write functions run inside a write
// transaction that already holds the store-wide lock (see writer.ts), so "read, check, write" is
// race-free; each one either performs exactly one write statement or throws before writing,
// which is what lets the writer batch several of them into one transaction.
import { randomUUID } from 'node:crypto';
import { AlreadyExistsError, ConflictError, NotFoundError, ValidationError } from '../model/errors.js';
import { API_VERSION, type Metadata, type Resource, type ResourceInput } from '../model/metadata.js';
import type { Sql } from './driver.js';
import { parseSelector, selectorToSql } from './selector.js';
import type { ListOptions, ListResult, ObjectKey, WriteOptions } from './types.js';
import { cachedList, cachedStamp, forgetKindReads } from './tx-cache.js';
import { decodeContinue, encodeContinue, encodeNewestContinue, parseRv } from './versions.js';

/** Hands out resourceVersions inside one write transaction; only used numbers are consumed. */
export class RvAllocator {
  private used = false;
  constructor(private current: bigint) {}
  peek(): bigint {
    return this.current + 1n;
  }
  consume(): void {
    this.current++;
    this.used = true;
  }
  /** The last number consumed, or undefined when nothing was written. */
  last(): bigint | undefined {
    return this.used ? this.current : undefined;
  }
}

export interface WriteCtx {
  sql: Sql;
  rv: RvAllocator;
  now: () => Date;
  /**
   * Objects read in this write transaction, by key (null = absent). Nothing but this
   * transaction can change them while it holds the write lock, so many writes in one batch that
   * all read the same Project (admission) read it from the database once.
   */
  cache: Map<string, Row | null>;
  /**
   * Set in shared batches: creates made by callers' transactions are collected here and written
   * by one statement just before the next statement of the transaction (see bulk.ts).
   */
  deferred?: DeferredCreate[];
}

/** A create whose version and result are final but whose INSERT is still to be sent. */
export interface DeferredCreate {
  rv: string;
  kind: string;
  project: string;
  name: string;
  uid: string;
  created_at: string;
  body: Body;
  labels: Record<string, string>;
}

export type Body = Omit<Resource, 'metadata'> & { metadata: Omit<Resource['metadata'], 'resourceVersion'> };
export interface Row {
  rv: string;
  body: Body;
}

const SERVER_FIELDS = new Set(['uid', 'resourceVersion', 'generation', 'creationTimestamp']);

/** The stored body plus its resourceVersion column is the object clients see. */
export function toResource(body: Body, rv: string): Resource {
  (body.metadata as Resource['metadata']).resourceVersion = rv;
  return body as Resource;
}

export function keyOf(kind: string, project: string | undefined, name: string): { kind: string; project: string; name: string } {
  if (typeof kind !== 'string' || kind === '') throw ValidationError.field('kind', 'is required');
  if (typeof name !== 'string' || name === '') throw ValidationError.field('metadata.name', 'is required');
  return { kind, project: project ?? '', name };
}

export function describe(k: { kind: string; project: string; name: string }): string {
  return k.project ? `${k.kind} "${k.name}" in project "${k.project}"` : `${k.kind} "${k.name}"`;
}

/** Deep equality that ignores key order, as jsonb does. */
function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** Client metadata without the fields only the server sets. */
export function clientMetadata(m: Metadata, project: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(m)) if (!SERVER_FIELDS.has(k) && v !== undefined) out[k] = v;
  if (project) out.project = project;
  else delete out.project;
  return out;
}

const GET_SQL = 'SELECT resource_version::text AS rv, body FROM resources WHERE kind = $1 AND project = $2 AND name = $3';

export async function getResource(sql: Sql, key: ObjectKey): Promise<Resource | undefined> {
  const k = keyOf(key.kind, key.project, key.name);
  const [row] = await sql.query<Row>(GET_SQL, [k.kind, k.project, k.name], 'weft_get');
  return row ? toResource(row.body, row.rv) : undefined;
}

/** StoreTx.stamp: create and update raise the newest resourceVersion; delete lowers the count. */
export async function kindStamp(sql: Sql, kinds: readonly string[]): Promise<string> {
  const [row] = await sql.query<{ n: string; rv: string | null }>(
    'SELECT count(*)::text AS n, max(resource_version)::text AS rv FROM resources WHERE kind = ANY($1::text[])',
    [[...kinds]],
    'weft_kind_stamp',
  );
  return `${row?.n ?? '0'}:${row?.rv ?? '0'}`;
}

export async function kindStampInTx(ctx: WriteCtx, kinds: readonly string[]): Promise<string> {
  return cachedStamp(ctx, kinds, () => kindStamp(ctx.sql, kinds));
}

export async function listInTx(ctx: WriteCtx, kind: string, opts: ListOptions = {}): Promise<ListResult> {
  return cachedList(ctx, kind, opts, () => listResources(ctx.sql, kind, opts));
}

/** After a write of `k`: forget what this transaction read of it (the object, and stamps and lists of its kind). */
export function forgetWritten(ctx: WriteCtx, k: { kind: string; project: string; name: string }): void {
  ctx.cache.delete(cacheKey(k));
  forgetKindReads(ctx, k.kind);
}

export function cacheKey(k: { kind: string; project: string; name: string }): string {
  return `${k.kind}\u0000${k.project}\u0000${k.name}`;
}

/** A read inside a write transaction, through the transaction's cache; the caller gets its own copy. */
async function readRow(ctx: WriteCtx, k: { kind: string; project: string; name: string }): Promise<Row | undefined> {
  const id = cacheKey(k);
  let row = ctx.cache.get(id);
  if (row === undefined) {
    [row] = await ctx.sql.query<Row>(GET_SQL, [k.kind, k.project, k.name], 'weft_get');
    row ??= null;
    ctx.cache.set(id, row);
  }
  return row ? { rv: row.rv, body: structuredClone(row.body) } : undefined;
}

// Many keys in one round trip: the keys go as one jsonb array, rows come back in no order.
const GET_MANY_SQL = `SELECT r.kind, r.project, r.name, r.resource_version::text AS rv, r.body
  FROM jsonb_to_recordset($1::jsonb) AS x(kind text, project text, name text)
  JOIN resources r ON r.kind = x.kind AND r.project = x.project AND r.name = x.name`;

async function fetchMany(sql: Sql, keys: readonly { kind: string; project: string; name: string }[]): Promise<Map<string, Row>> {
  const rows = keys.length === 0 ? [] : await sql.query<Row & { kind: string; project: string; name: string }>(GET_MANY_SQL, [JSON.stringify(keys)], 'weft_get_many');
  return new Map(rows.map((r) => [cacheKey(r), { rv: r.rv, body: r.body }]));
}

/** Store.getMany: one object per key, in order (undefined where none exists). */
export async function getManyResources(sql: Sql, keys: readonly ObjectKey[]): Promise<(Resource | undefined)[]> {
  const ks = keys.map((k) => keyOf(k.kind, k.project, k.name));
  const found = await fetchMany(sql, ks);
  return ks.map((k) => {
    const row = found.get(cacheKey(k));
    return row ? toResource(structuredClone(row.body), row.rv) : undefined;
  });
}

/** StoreTx.getMany: reads the keys the transaction has not read yet in one query, through its cache. */
export async function getManyInTx(ctx: WriteCtx, keys: readonly ObjectKey[]): Promise<(Resource | undefined)[]> {
  const ks = keys.map((k) => keyOf(k.kind, k.project, k.name));
  const missing = ks.filter((k) => !ctx.cache.has(cacheKey(k)));
  if (missing.length > 0) {
    // Deferred creates go out first (the tracking connection sends them), so they are seen too.
    const found = await fetchMany(ctx.sql, missing);
    for (const k of missing) ctx.cache.set(cacheKey(k), found.get(cacheKey(k)) ?? null);
  }
  return Promise.all(ks.map((k) => getInTx(ctx, k)));
}

export async function getInTx(ctx: WriteCtx, key: ObjectKey): Promise<Resource | undefined> {
  const row = await readRow(ctx, keyOf(key.kind, key.project, key.name));
  return row ? toResource(row.body, row.rv) : undefined;
}

const ORDERS: readonly string[] = ['name', 'newest'];

/**
 * The microsecond creation time as UTC ISO 8601 text: exact (ties and sub-millisecond
 * differences survive the round trip through a continue token) and independent of the
 * session's DateStyle and TimeZone, so any connection reads it back as the same instant.
 */
const CREATED_TEXT = `to_char(x.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

export async function listResources(sql: Sql, kind: string, opts: ListOptions = {}): Promise<ListResult> {
  const order = opts.order ?? 'name';
  if (typeof order !== 'string' || !ORDERS.includes(order)) throw ValidationError.field('order', 'must be "name" or "newest"');
  const newest = order === 'newest';
  const reqs = parseSelector(opts.labelSelector);
  const limit = opts.limit;
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) throw ValidationError.field('limit', 'must be a non-negative integer');
  // A token only means something in the order that issued it; decodeContinue refuses the other one.
  const cont = opts.continue ? (newest ? decodeContinue(opts.continue, 'newest') : decodeContinue(opts.continue)) : undefined;

  const params: unknown[] = [kind];
  const where = ['r.kind = $1'];
  if (opts.project !== undefined) {
    params.push(opts.project);
    where.push(`r.project = $${params.length}`);
  }
  if (opts.projects !== undefined) {
    params.push(JSON.stringify(opts.projects));
    where.push(`r.project IN (SELECT jsonb_array_elements_text($${params.length}::jsonb))`);
  }
  if (opts.name !== undefined) {
    params.push(opts.name);
    where.push(`r.name = $${params.length}`);
  }
  const labels = selectorToSql(reqs, 'r.labels', params);
  if (labels) where.push(labels);
  if (cont && 'createdAt' in cont) {
    // Keyset on (created_at DESC, project, name): strictly older, or as old and later by key.
    params.push(cont.createdAt, cont.project, cont.name);
    const [t, p, n] = [params.length - 2, params.length - 1, params.length];
    where.push(`(r.created_at < $${t}::timestamptz OR (r.created_at = $${t}::timestamptz AND (r.project, r.name) > ($${p}, $${n})))`);
  } else if (cont) {
    params.push(cont.project, cont.name);
    where.push(`(r.project, r.name) > ($${params.length - 1}, $${params.length})`);
  }
  const orderBy = (t: string): string => (newest ? `${t}.created_at DESC, ${t}.project, ${t}.name` : `${t}.project, ${t}.name`);
  // One more than asked tells whether another page exists without a second query.
  const limitSql = limit ? `LIMIT ${limit + 1}` : '';
  // weft_state is read in the same statement (same snapshot) as the rows, so a watch from the
  // returned version misses nothing and repeats nothing that this page already reflects.
  const rows = await sql.query<{ store_rv: string; project: string | null; name: string; rv: string; body: Body; created: string | null }>(
    `SELECT s.rv::text AS store_rv, x.project, x.name, x.rv, x.body${newest ? `, ${CREATED_TEXT} AS created` : ''}
       FROM weft_state s
       LEFT JOIN LATERAL (
         SELECT r.project, r.name, r.resource_version::text AS rv, r.body, r.created_at FROM resources r
          WHERE ${where.join(' AND ')} ORDER BY ${orderBy('r')} ${limitSql}
       ) x ON true
      ORDER BY ${orderBy('x')}`,
    params,
  );
  // Every page reports the first page's version: a watch must start before the first page was
  // read, or changes to objects on earlier pages made while paging would be lost.
  const rv = cont ? cont.rv : rows[0].store_rv;
  const found = rows.filter((r) => r.project !== null);
  const result: ListResult = { items: [], resourceVersion: rv };
  if (limit && found.length > limit) {
    found.length = limit;
    const last = found[limit - 1];
    const at = { rv, project: last.project ?? '', name: last.name };
    result.continue = newest ? encodeNewestContinue({ ...at, createdAt: last.created ?? '' }) : encodeContinue(at);
  }
  result.items = found.map((r) => toResource(r.body, r.rv));
  return result;
}

/** A new object's stored body: client fields plus identity, generation 1 and creation time. */
export function newBody(input: ResourceInput, now: Date): { key: { kind: string; project: string; name: string }; body: Body } {
  const key = keyOf(input.kind, input.metadata?.project, input.metadata?.name);
  const meta = clientMetadata(input.metadata, key.project);
  delete meta.deletionTimestamp; // nothing is being deleted at birth
  const body = {
    apiVersion: API_VERSION,
    kind: key.kind,
    metadata: { ...meta, uid: randomUUID(), generation: 1, creationTimestamp: now.toISOString() },
    spec: input.spec ?? {},
    ...(input.status !== undefined ? { status: input.status } : {}),
  } as Body;
  return { key, body };
}

export async function createResource(ctx: WriteCtx, input: ResourceInput): Promise<Resource> {
  const { key: k, body } = newBody(input, ctx.now());
  const json = JSON.stringify(body);
  const rv = ctx.rv.peek();
  if (ctx.deferred) {
    const id = cacheKey(k);
    // Known duplicates fail now; unknown ones make the deferred INSERT fail, which re-runs the batch job by job.
    if (ctx.cache.get(id) || ctx.deferred.some((d) => d.kind === k.kind && d.project === k.project && d.name === k.name)) {
      throw new AlreadyExistsError(`${describe(k)} already exists`);
    }
    const stored = JSON.parse(json) as Body;
    ctx.deferred.push({ rv: rv.toString(), ...k, uid: body.metadata.uid, created_at: body.metadata.creationTimestamp, body: stored, labels: input.metadata.labels ?? {} });
    ctx.rv.consume();
    forgetWritten(ctx, k);
    return toResource(JSON.parse(json) as Body, rv.toString());
  }
  const rows = await ctx.sql.query<{ rv: string }>(
    `WITH ins AS (
       INSERT INTO resources (kind, project, name, uid, resource_version, generation, created_at, body, labels)
       VALUES ($1, $2, $3, $4, $5, 1, $6, $7::jsonb, $8::jsonb)
       ON CONFLICT (kind, project, name) DO NOTHING
       RETURNING body)
     INSERT INTO changes (rv, type, kind, project, name, object)
     SELECT $5, 'ADDED', $1, $2, $3, body FROM ins RETURNING rv::text AS rv`,
    [k.kind, k.project, k.name, body.metadata.uid, rv.toString(), body.metadata.creationTimestamp, json, JSON.stringify(input.metadata.labels ?? {})],
    'weft_create',
  );
  if (rows.length === 0) throw new AlreadyExistsError(`${describe(k)} already exists`);
  ctx.rv.consume();
  forgetWritten(ctx, k);
  // Parsed back from the JSON we stored, so the caller gets exactly what a later get returns.
  return toResource(JSON.parse(json) as Body, rv.toString());
}

async function current(ctx: WriteCtx, k: { kind: string; project: string; name: string }, opts: WriteOptions): Promise<Row> {
  const expected = opts.resourceVersion === undefined ? undefined : parseRv(opts.resourceVersion, 'metadata.resourceVersion');
  const row = await readRow(ctx, k);
  if (!row) throw new NotFoundError(`${describe(k)} not found`);
  if (expected !== undefined && BigInt(row.rv) !== expected) {
    throw new ConflictError(`${describe(k)} has been modified: resourceVersion is ${row.rv}, not ${expected}; read it again and retry`);
  }
  return row;
}

/** An update worked out against the stored object: what to write, or nothing when it changes nothing. */
interface PreparedUpdate {
  k: { kind: string; project: string; name: string };
  /** The stored version it replaces. */
  old: string;
  generation: number;
  json: string;
  labels: string;
  next: Body;
  /** The stored object, when the update changes nothing (no new version, no watch event). */
  unchanged?: Resource;
}

async function prepareUpdate(ctx: WriteCtx, input: ResourceInput, opts: WriteOptions): Promise<PreparedUpdate> {
  const k = keyOf(input.kind, input.metadata?.project, input.metadata?.name);
  const cur = await current(ctx, k, opts);
  const old = cur.body;
  const spec = input.spec ?? {};
  const metadata: Record<string, unknown> = {
    ...clientMetadata(input.metadata, k.project),
    uid: old.metadata.uid,
    creationTimestamp: old.metadata.creationTimestamp,
    generation: jsonEqual(old.spec, spec) ? old.metadata.generation : old.metadata.generation + 1,
  };
  if (metadata.deletionTimestamp === undefined && old.metadata.deletionTimestamp !== undefined) metadata.deletionTimestamp = old.metadata.deletionTimestamp;
  // Absent status keeps the stored one: users write spec, controllers write status.
  const status = input.status !== undefined ? input.status : old.status;
  const body = { apiVersion: API_VERSION, kind: k.kind, metadata, spec, ...(status !== undefined ? { status } : {}) };
  const json = JSON.stringify(body);
  const next = JSON.parse(json) as Body;
  const out: PreparedUpdate = { k, old: cur.rv, generation: metadata.generation as number, json, labels: JSON.stringify(input.metadata.labels ?? {}), next };
  // A write that changes nothing is not a change: no new version, no watch event.
  if (jsonEqual(next, old)) out.unchanged = toResource(old, cur.rv);
  return out;
}

export async function updateResource(ctx: WriteCtx, input: ResourceInput, opts: WriteOptions = {}): Promise<Resource> {
  const u = await prepareUpdate(ctx, input, opts);
  if (u.unchanged) return u.unchanged;
  const { k } = u;
  const rv = ctx.rv.peek();
  const rows = await ctx.sql.query<{ rv: string }>(
    `WITH upd AS (
       UPDATE resources SET resource_version = $4, generation = $5, body = $6::jsonb, labels = $7::jsonb
        WHERE kind = $1 AND project = $2 AND name = $3 AND resource_version = $8
       RETURNING body)
     INSERT INTO changes (rv, type, kind, project, name, object)
     SELECT $4, 'MODIFIED', $1, $2, $3, body FROM upd RETURNING rv::text AS rv`,
    [k.kind, k.project, k.name, rv.toString(), u.generation, u.json, u.labels, u.old],
    'weft_update',
  );
  if (rows.length === 0) throw new ConflictError(`${describe(k)} was modified concurrently; retry`);
  ctx.rv.consume();
  forgetWritten(ctx, k);
  return toResource(u.next, rv.toString());
}

// Many updates in one statement: rows arrive as one jsonb array, each with its new version and the
// version it replaces; the change log gets one MODIFIED entry per row.
const UPDATE_MANY_SQL = `
WITH input AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb)
    AS x(kind text, project text, name text, rv bigint, generation bigint, body jsonb, labels jsonb, old bigint)
), upd AS (
  UPDATE resources r SET resource_version = input.rv, generation = input.generation, body = input.body, labels = input.labels
    FROM input
   WHERE r.kind = input.kind AND r.project = input.project AND r.name = input.name AND r.resource_version = input.old
  RETURNING r.kind, r.project, r.name, r.resource_version, r.body
), log AS (
  INSERT INTO changes (rv, type, kind, project, name, object)
  SELECT resource_version, 'MODIFIED', kind, project, name, body FROM upd
)
SELECT count(*)::int AS n FROM upd`;

/**
 * StoreTx.updateMany: each update checked as update() checks it, then all written by one
 * statement, versions in input order. Any check failing fails the call before anything is written;
 * a row changed meanwhile (another process) fails it with ConflictError and aborts the transaction.
 */
export async function updateManyResources(ctx: WriteCtx, items: readonly { input: ResourceInput; opts?: WriteOptions }[]): Promise<Resource[]> {
  const prepared: PreparedUpdate[] = [];
  for (const { input, opts } of items) prepared.push(await prepareUpdate(ctx, input, opts ?? {}));
  const seen = new Set<string>();
  for (const u of prepared) {
    const id = cacheKey(u.k);
    if (seen.has(id)) throw new ConflictError(`${describe(u.k)} appears twice in one updateMany`);
    seen.add(id);
  }
  const writes = prepared.filter((u) => !u.unchanged);
  if (writes.length === 0) return prepared.map((u) => u.unchanged!);
  const first = ctx.rv.peek();
  const rows = writes.map((u, i) => ({ ...u.k, rv: (first + BigInt(i)).toString(), generation: u.generation, body: JSON.parse(u.json) as Body, labels: JSON.parse(u.labels) as unknown, old: u.old }));
  const [res] = await ctx.sql.query<{ n: number }>(UPDATE_MANY_SQL, [JSON.stringify(rows)], 'weft_update_many');
  if (Number(res!.n) !== writes.length) throw new ConflictError('an object was modified concurrently during updateMany; retry');
  const versions = new Map<PreparedUpdate, string>();
  writes.forEach((u, i) => {
    ctx.rv.consume();
    forgetWritten(ctx, u.k);
    versions.set(u, rows[i]!.rv);
  });
  return prepared.map((u) => u.unchanged ?? toResource(u.next, versions.get(u)!));
}

export async function deleteResource(ctx: WriteCtx, key: ObjectKey, opts: WriteOptions = {}): Promise<Resource> {
  const k = keyOf(key.kind, key.project, key.name);
  const cur = await current(ctx, k, opts);
  const rv = ctx.rv.peek();
  const rows = await ctx.sql.query<{ rv: string }>(
    `WITH del AS (
       DELETE FROM resources WHERE kind = $1 AND project = $2 AND name = $3 AND resource_version = $5
       RETURNING body)
     INSERT INTO changes (rv, type, kind, project, name, object)
     SELECT $4, 'DELETED', $1, $2, $3, body FROM del RETURNING rv::text AS rv`,
    [k.kind, k.project, k.name, rv.toString(), cur.rv],
    'weft_delete',
  );
  if (rows.length === 0) throw new ConflictError(`${describe(k)} was modified concurrently; retry`);
  ctx.rv.consume();
  forgetWritten(ctx, k);
  // The last state, stamped with the deletion's version (the same object the DELETED event carries).
  return toResource(cur.body, rv.toString());
}
