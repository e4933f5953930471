// Usage reports (GET /api/v1/usage, `weft usage`): GPU-, core- and GiB-hours and cost per key
// (GPU model, queue, workload, site or project), optionally as a series per hour or day (UTC).
import { ValidationError } from '../../model/errors.js';
import { type UsageBy, type UsageReport, type UsageStep } from '../../model/metering.js';
import { divRound, formatMicros } from './money.js';
import { gpuEquivalent, rawCost, RAW_PER_MICRO, resourceKind, unitHours, type PricedSegment } from './pricing.js';

// The wire types live in the model, shared with the client; re-exported for the control plane's callers.
export { USAGE_GROUPINGS, type UsageBy, type UsagePoint, type UsageReport, type UsageRow, type UsageStep } from '../../model/metering.js';

const MAX_POINTS = 10_000;
const round6 = (n: number): number => Math.round(n * 1e6) / 1e6;

/** The key a segment is reported under. CPU and memory follow their allocation's GPU model. */
function keyer(by: UsageBy, segments: readonly PricedSegment[]): (s: PricedSegment) => string {
  if (by !== 'model') {
    return ({ interval: iv }) => {
      if (by === 'queue') return iv.queue || '(none)';
      if (by === 'workload') return `${iv.project}/${iv.workloadKind.toLowerCase()}/${iv.workloadName}`;
      if (by === 'site') return iv.site || '(none)';
      return iv.project;
    };
  }
  const modelOf = new Map<string, Set<string>>();
  for (const { interval: iv } of segments) {
    if (iv.model === '') continue;
    const label = resourceKind(iv.resourceClass) === 'mig' ? `${iv.model} ${iv.profile}` : iv.model;
    const set = modelOf.get(iv.allocationUid) ?? new Set<string>();
    set.add(label);
    modelOf.set(iv.allocationUid, set);
  }
  return ({ interval: iv }) => {
    if (iv.model !== '') return resourceKind(iv.resourceClass) === 'mig' ? `${iv.model} ${iv.profile}` : iv.model;
    const models = modelOf.get(iv.allocationUid);
    return models ? [...models].sort().join('+') : '(no GPU)';
  };
}

interface Acc {
  gpu: number;
  cpu: number;
  mem: number;
  raw: bigint;
}

function add(acc: Acc, s: PricedSegment, startMs: number, endMs: number): void {
  const iv = s.interval;
  const ms = endMs - startMs;
  const kind = resourceKind(iv.resourceClass);
  if (kind === 'cpu') acc.cpu += unitHours(iv.resourceClass, iv.quantity, ms);
  else if (kind === 'memory') acc.mem += unitHours(iv.resourceClass, iv.quantity, ms);
  else acc.gpu += gpuEquivalent(iv) * (ms / 3_600_000);
  acc.raw += ms === s.endMs - s.startMs ? s.raw : s.entry ? rawCost(iv.resourceClass, iv.quantity, ms, s.entry.priceMicros, s.entry.discountBps) : 0n;
}

const fresh = (): Acc => ({ gpu: 0, cpu: 0, mem: 0, raw: 0n });

/** Start of the UTC hour or day containing t. */
function bucketStart(t: number, step: UsageStep): number {
  const size = step === 'hour' ? 3_600_000 : 86_400_000;
  return Math.floor(t / size) * size;
}

export function usageReport(segments: readonly PricedSegment[], opts: { from: Date; to: Date; by: UsageBy; currency: string; step?: UsageStep }): UsageReport {
  const keyOf = keyer(opts.by, segments);
  const rows = new Map<string, Acc>();
  for (const s of segments) {
    const k = keyOf(s);
    const acc = rows.get(k) ?? fresh();
    add(acc, s, s.startMs, s.endMs);
    rows.set(k, acc);
  }
  const report: UsageReport = {
    from: opts.from.toISOString(),
    to: opts.to.toISOString(),
    by: opts.by,
    currency: opts.currency,
    rows: [...rows.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, a]) => ({ key, gpuHours: round6(a.gpu), cpuCoreHours: round6(a.cpu), memoryGiBHours: round6(a.mem), cost: formatMicros(divRound(a.raw, RAW_PER_MICRO)) })),
  };
  if (opts.step) {
    const size = opts.step === 'hour' ? 3_600_000 : 86_400_000;
    if ((opts.to.getTime() - opts.from.getTime()) / size > MAX_POINTS) throw ValidationError.field('step', `the window holds more than ${MAX_POINTS} ${opts.step}s; use a larger step or a shorter window`);
    const points = new Map<string, Acc>();
    for (const s of segments) {
      const k = keyOf(s);
      for (let b = bucketStart(s.startMs, opts.step); b < s.endMs; b += size) {
        const start = Math.max(b, s.startMs);
        const end = Math.min(b + size, s.endMs);
        const id = `${b}|${k}`;
        const acc = points.get(id) ?? fresh();
        add(acc, s, start, end);
        points.set(id, acc);
      }
    }
    report.series = [...points.entries()]
      .map(([id, a]) => {
        const [b, key] = [Number(id.slice(0, id.indexOf('|'))), id.slice(id.indexOf('|') + 1)];
        return { t: new Date(b).toISOString(), key, gpuHours: round6(a.gpu), cost: formatMicros(divRound(a.raw, RAW_PER_MICRO)) };
      })
      .sort((x, y) => x.t.localeCompare(y.t) || x.key.localeCompare(y.key));
  }
  return report;
}
