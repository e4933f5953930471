// Reading usage records (migration 004). The rows are written only by the database trigger on
// Allocation changes; this side only reads: intervals clipped to a window (open ones counted up
// to "now"), and an hourly roll-up that splits every interval at UTC hour boundaries in SQL.
import { ValidationError } from '../model/errors.js';
import { mapDbError, type Sql } from './driver.js';

export interface UsageQuery {
  /** Window start (inclusive). */
  from: Date;
  /** Window end (exclusive). */
  to: Date;
  /** Where still-running intervals end; default: the current time. */
  now?: Date;
  project?: string;
  /** Any of these projects (a reader's view). */
  projects?: string[];
}

/** What one allocation held of one resource class, over [startMs, endMs) inside the window. */
export interface UsageInterval {
  allocationUid: string;
  project: string;
  allocation: string;
  workloadKind: string;
  workloadName: string;
  queue: string;
  node: string;
  site: string;
  /** gpu:<model>, mig:<model>:<profile>, share:<model>, cpu or memory. */
  resourceClass: string;
  model: string;
  profile: string;
  /** milli-GPUs, milli-instances, milli-cores or bytes (see migration 004). */
  quantity: number;
  isolation: string;
  priorityClass: string;
  preemptible: boolean;
  startMs: number;
  endMs: number;
  /** True while the allocation still runs (the interval ends at `now`). */
  open: boolean;
  /** Set by metering: this piece ran inside the named Reservation's window and is covered by its charge. */
  coveredBy?: string;
}

/** One hour's worth of one group: quantity × milliseconds, exact (a decimal string: it may exceed 2^53). */
export interface UsageHour {
  hour: string;
  project: string;
  queue: string;
  workloadKind: string;
  workloadName: string;
  site: string;
  resourceClass: string;
  isolation: string;
  priorityClass: string;
  preemptible: boolean;
  quantityMs: string;
}

/** Raw rows, for tests and operators: the append-only record itself. */
export interface UsageRecordRow {
  id: string;
  event: 'open' | 'close';
  allocationUid: string;
  project: string;
  resourceClass: string;
  quantity: number;
  startedAt: string;
  endedAt?: string;
}

export interface UsageStore {
  intervals(q: UsageQuery): Promise<UsageInterval[]>;
  hourly(q: UsageQuery): Promise<UsageHour[]>;
  records(filter?: { project?: string; allocationUid?: string }): Promise<UsageRecordRow[]>;
}

const MAX_WINDOW_MS = 5 * 366 * 24 * 3600 * 1000;

function checkQuery(q: UsageQuery): { params: unknown[]; where: string } {
  const from = q.from.getTime();
  const to = q.to.getTime();
  if (Number.isNaN(from)) throw ValidationError.field('from', 'must be a valid time');
  if (Number.isNaN(to)) throw ValidationError.field('to', 'must be a valid time');
  if (to <= from) throw ValidationError.field('to', 'must be after from');
  if (to - from > MAX_WINDOW_MS) throw ValidationError.field('to', 'the window may span at most five years');
  const now = q.now ?? new Date();
  const params: unknown[] = [q.from.toISOString(), q.to.toISOString(), now.toISOString()];
  let where = '';
  if (q.project !== undefined) {
    params.push(q.project);
    where += ` AND o.project = $${params.length}`;
  }
  if (q.projects !== undefined) {
    params.push(q.projects);
    where += ` AND o.project = ANY($${params.length}::text[])`;
  }
  return { params, where };
}

/** Intervals overlapping [$1, $2), clipped to it; open ones end at $3. */
function clippedSql(where: string): string {
  return `
    SELECT o.allocation_uid::text AS allocation_uid, o.project, o.allocation, o.workload_kind, o.workload_name, o.queue, o.node,
           o.site, o.resource_class, o.model, o.profile, o.quantity, o.isolation, o.priority_class, o.preemptible,
           (c.id IS NULL) AS open,
           greatest(o.started_at, $1::timestamptz) AS s,
           least(coalesce(c.ended_at, greatest(o.started_at, $3::timestamptz)), $2::timestamptz) AS e
      FROM usage_records o
      LEFT JOIN usage_records c ON c.allocation_uid = o.allocation_uid AND c.resource_class = o.resource_class AND c.event = 'close'
     WHERE o.event = 'open' AND o.started_at < $2::timestamptz
       AND coalesce(c.ended_at, greatest(o.started_at, $3::timestamptz)) > $1::timestamptz ${where}`;
}

const ms = (col: string): string => `floor(extract(epoch FROM ${col}) * 1000)::bigint`;

interface IntervalRow {
  allocation_uid: string;
  project: string;
  allocation: string;
  workload_kind: string;
  workload_name: string;
  queue: string;
  node: string;
  site: string;
  resource_class: string;
  model: string;
  profile: string;
  quantity: string | number;
  isolation: string;
  priority_class: string;
  preemptible: boolean;
  open: boolean;
  start_ms: string | number;
  end_ms: string | number;
}

export class SqlUsageStore implements UsageStore {
  constructor(private readonly read: Sql) {}

  async intervals(q: UsageQuery): Promise<UsageInterval[]> {
    const { params, where } = checkQuery(q);
    const text = `SELECT x.*, ${ms('x.s')} AS start_ms, ${ms('x.e')} AS end_ms FROM (${clippedSql(where)}) x
                   WHERE x.e > x.s ORDER BY x.s, x.allocation_uid, x.resource_class`;
    const rows = await this.query<IntervalRow>(text, params);
    return rows.map((r) => ({
      allocationUid: r.allocation_uid,
      project: r.project,
      allocation: r.allocation,
      workloadKind: r.workload_kind,
      workloadName: r.workload_name,
      queue: r.queue,
      node: r.node,
      site: r.site,
      resourceClass: r.resource_class,
      model: r.model,
      profile: r.profile,
      quantity: Number(r.quantity),
      isolation: r.isolation,
      priorityClass: r.priority_class,
      preemptible: r.preemptible,
      startMs: Number(r.start_ms),
      endMs: Number(r.end_ms),
      open: r.open,
    }));
  }

  async hourly(q: UsageQuery): Promise<UsageHour[]> {
    const { params, where } = checkQuery(q);
    // Hours are UTC whatever the session's time zone; each interval contributes to every hour it
    // touches exactly the part of it inside that hour.
    const hourOf = (col: string): string => `(date_trunc('hour', ${col} AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')`;
    const text = `
      SELECT h AS hour, x.project, x.queue, x.workload_kind, x.workload_name, x.site, x.resource_class, x.isolation,
             x.priority_class, x.preemptible,
             sum(x.quantity::numeric * (${ms("least(x.e, h + interval '1 hour')")} - ${ms('greatest(x.s, h)')}))::text AS quantity_ms
        FROM (${clippedSql(where)}) x
        CROSS JOIN LATERAL generate_series(${hourOf('x.s')}, x.e - interval '1 microsecond', interval '1 hour') AS h
       WHERE x.e > x.s
       GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10
       ORDER BY 1, 2, 7, 3, 5`;
    const rows = await this.query<{
      hour: Date | string;
      project: string;
      queue: string;
      workload_kind: string;
      workload_name: string;
      site: string;
      resource_class: string;
      isolation: string;
      priority_class: string;
      preemptible: boolean;
      quantity_ms: string;
    }>(text, params);
    return rows.map((r) => ({
      hour: new Date(r.hour).toISOString(),
      project: r.project,
      queue: r.queue,
      workloadKind: r.workload_kind,
      workloadName: r.workload_name,
      site: r.site,
      resourceClass: r.resource_class,
      isolation: r.isolation,
      priorityClass: r.priority_class,
      preemptible: r.preemptible,
      quantityMs: r.quantity_ms,
    }));
  }

  async records(filter: { project?: string; allocationUid?: string } = {}): Promise<UsageRecordRow[]> {
    const params: unknown[] = [];
    const where: string[] = [];
    if (filter.project !== undefined) {
      params.push(filter.project);
      where.push(`project = $${params.length}`);
    }
    if (filter.allocationUid !== undefined) {
      params.push(filter.allocationUid);
      where.push(`allocation_uid = $${params.length}::uuid`);
    }
    const rows = await this.query<{
      id: string;
      event: 'open' | 'close';
      allocation_uid: string;
      project: string;
      resource_class: string;
      quantity: string | number;
      started_at: Date | string;
      ended_at: Date | string | null;
    }>(
      `SELECT id::text AS id, event, allocation_uid::text AS allocation_uid, project, resource_class, quantity, started_at, ended_at
         FROM usage_records ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY usage_records.id`,
      params,
    );
    return rows.map((r) => ({
      id: r.id,
      event: r.event,
      allocationUid: r.allocation_uid,
      project: r.project,
      resourceClass: r.resource_class,
      quantity: Number(r.quantity),
      startedAt: new Date(r.started_at).toISOString(),
      ...(r.ended_at !== null ? { endedAt: new Date(r.ended_at).toISOString() } : {}),
    }));
  }

  private async query<R extends object>(text: string, params: unknown[]): Promise<R[]> {
    try {
      return await this.read.query<R>(text, params);
    } catch (e) {
      throw mapDbError(e);
    }
  }
}
