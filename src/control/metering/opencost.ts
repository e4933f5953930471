// An OpenCost-compatible view of Weft's costs (GET /api/v1/opencost/allocation), so FinOps tools
// that read OpenCost's /allocation API can read Weft too. Mapping: cluster = site (or "weft"),
// namespace = project, controllerKind/controller = workload kind/name, pod = allocation,
// node = node. GPU, CPU and RAM hours and costs are Weft's own; everything Weft does not meter
// (PVs, network, load balancers, shared and external costs) is 0.
import { ValidationError } from '../../model/errors.js';
import { gpuEquivalent, RAW_PER_MICRO, resourceKind, unitHours, type PricedSegment } from './pricing.js';

export const OPENCOST_AGGREGATES = ['cluster', 'node', 'namespace', 'controllerKind', 'controller', 'pod'] as const;
export type OpenCostAggregate = (typeof OPENCOST_AGGREGATES)[number];

export interface OpenCostAllocation {
  name: string;
  properties: { cluster: string; node?: string; namespace?: string; controllerKind?: string; controller?: string; pod?: string };
  window: { start: string; end: string };
  start: string;
  end: string;
  minutes: number;
  cpuCores: number;
  cpuCoreHours: number;
  cpuCost: number;
  gpuCount: number;
  gpuHours: number;
  gpuCost: number;
  ramBytes: number;
  ramByteHours: number;
  ramCost: number;
  pvCost: number;
  networkCost: number;
  loadBalancerCost: number;
  sharedCost: number;
  externalCost: number;
  totalCost: number;
}

export interface OpenCostResponse {
  code: 200;
  data: Record<string, OpenCostAllocation>[];
}

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const DAY = 86_400_000;

/** OpenCost's `window`: today, yesterday, week, lastweek, month, lastmonth, 30m/12h/7d, or "start,end" (RFC 3339 or Unix seconds). */
export function parseWindow(text: string, now: number): { from: Date; to: Date } {
  const t = text.trim();
  const today = Math.floor(now / DAY) * DAY;
  const d = new Date(now);
  const weekStart = today - ((d.getUTCDay() + 6) % 7) * DAY;
  const monthStart = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  const named: Record<string, [number, number]> = {
    today: [today, now],
    yesterday: [today - DAY, today],
    week: [weekStart, now],
    lastweek: [weekStart - 7 * DAY, weekStart],
    month: [monthStart, now],
    lastmonth: [Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 1), monthStart],
  };
  let range = named[t];
  const dur = /^(\d{1,6})([mhdw])$/.exec(t);
  if (!range && dur) range = [now - Number(dur[1]) * UNITS[dur[2]!]!, now];
  if (!range && t.includes(',')) {
    const [a, b] = t.split(',').map((p) => (/^\d{9,11}$/.test(p.trim()) ? Number(p.trim()) * 1000 : Date.parse(p.trim())));
    if (a !== undefined && b !== undefined && !Number.isNaN(a) && !Number.isNaN(b)) range = [a, b];
  }
  if (!range) throw ValidationError.field('window', `"${text}" is not a window: use today, week, month, yesterday, lastweek, lastmonth, a duration like 7d, or "start,end"`);
  if (range[1] <= range[0]) throw ValidationError.field('window', 'must end after it starts');
  return { from: new Date(range[0]), to: new Date(range[1]) };
}

export function parseAggregate(text: string | undefined): OpenCostAggregate[] {
  const parts = (text ?? 'namespace').split(',').map((p) => p.trim()).filter((p) => p !== '');
  for (const p of parts) {
    if (!(OPENCOST_AGGREGATES as readonly string[]).includes(p)) throw ValidationError.field('aggregate', `"${p}" is not one of ${OPENCOST_AGGREGATES.join(', ')}`);
  }
  return parts.length ? (parts as OpenCostAggregate[]) : ['namespace'];
}

const money = (raw: bigint): number => Number(raw / (RAW_PER_MICRO / 1000n)) / 1e9; // to nano-units first, then a float

interface Acc {
  a: OpenCostAllocation;
  clusters: Set<string>;
  gpuRaw: bigint;
  cpuRaw: bigint;
  ramRaw: bigint;
}

/** One allocation set over [from, to); data has one set, as OpenCost returns without `step`. */
export function openCostAllocation(segments: readonly PricedSegment[], opts: { from: Date; to: Date; aggregate: OpenCostAggregate[] }): OpenCostResponse {
  const window = { start: opts.from.toISOString(), end: opts.to.toISOString() };
  const minutesOf = (a: number, b: number): number => (b - a) / 60_000;
  const set = new Map<string, Acc>();
  for (const s of segments) {
    const iv = s.interval;
    const props = { cluster: iv.site || 'weft', node: iv.node, namespace: iv.project, controllerKind: iv.workloadKind.toLowerCase(), controller: iv.workloadName, pod: iv.allocation };
    const name = opts.aggregate.map((k) => props[k]).join('/');
    let acc = set.get(name);
    if (!acc) {
      const properties: OpenCostAllocation['properties'] = { cluster: props.cluster };
      for (const k of opts.aggregate) properties[k] = props[k];
      acc = {
        a: { name, properties, window, start: new Date(s.startMs).toISOString(), end: new Date(s.endMs).toISOString(), minutes: 0, cpuCores: 0, cpuCoreHours: 0, cpuCost: 0, gpuCount: 0, gpuHours: 0, gpuCost: 0, ramBytes: 0, ramByteHours: 0, ramCost: 0, pvCost: 0, networkCost: 0, loadBalancerCost: 0, sharedCost: 0, externalCost: 0, totalCost: 0 },
        clusters: new Set<string>(),
        gpuRaw: 0n,
        cpuRaw: 0n,
        ramRaw: 0n,
      };
      set.set(name, acc);
    }
    const a = acc.a;
    acc.clusters.add(props.cluster);
    if (s.startMs < Date.parse(a.start)) a.start = new Date(s.startMs).toISOString();
    if (s.endMs > Date.parse(a.end)) a.end = new Date(s.endMs).toISOString();
    const ms = s.endMs - s.startMs;
    const kind = resourceKind(iv.resourceClass);
    if (kind === 'cpu') {
      a.cpuCoreHours += unitHours(iv.resourceClass, iv.quantity, ms);
      acc.cpuRaw += s.raw;
    } else if (kind === 'memory') {
      a.ramByteHours += iv.quantity * (ms / 3_600_000);
      acc.ramRaw += s.raw;
    } else {
      a.gpuHours += gpuEquivalent(iv) * (ms / 3_600_000);
      acc.gpuRaw += s.raw;
    }
  }
  const data: Record<string, OpenCostAllocation> = {};
  for (const [name, acc] of [...set.entries()].sort(([x], [y]) => x.localeCompare(y))) {
    const a = acc.a;
    // An aggregate spanning several sites belongs to no one of them.
    if (!opts.aggregate.includes('cluster') && acc.clusters.size > 1) a.properties.cluster = 'weft';
    a.minutes = minutesOf(Date.parse(a.start), Date.parse(a.end));
    const hours = a.minutes / 60 || 1;
    // Averages over the allocation's own active span, as OpenCost reports them.
    a.cpuCores = a.cpuCoreHours / hours;
    a.gpuCount = a.gpuHours / hours;
    a.ramBytes = a.ramByteHours / hours;
    a.cpuCost = money(acc.cpuRaw);
    a.gpuCost = money(acc.gpuRaw);
    a.ramCost = money(acc.ramRaw);
    a.totalCost = money(acc.cpuRaw + acc.gpuRaw + acc.ramRaw);
    data[name] = a;
  }
  return { code: 200, data: [data] };
}
