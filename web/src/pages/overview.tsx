// Overview: capacity by model and site, Nodes, queue depths, workloads by phase and today's
// spend. The figures come from the server's fleet summary, streamed as they change, so the page
// costs a few kilobytes however large the fleet is.
import { useEffect, useMemo, useState } from 'react';
import type { FleetSummary, SummaryGpus } from '../../../src/client/index.js';
import { StackedBars } from '../components/charts.js';
import { ErrorBox, Loading, Stat } from '../components/common.js';
import { errorText, isPending, round } from '../format.js';
import { href } from '../router.js';
import type { Session } from '../session.js';
import { useSummary } from '../summary.js';
import { sumDecimals } from '../../../src/model/metering.js';
import { money, startOfToday, usage, type UsageReport } from '../usage.js';

const COLOURS = { allocated: '#2f5bd3', fragmented: '#e0a526', free: '#9fd3a8' };
const PHASE_COLOURS: Record<string, string> = {
  Pending: '#e0a526', Running: '#2f5bd3', Available: '#2f5bd3', Succeeded: '#3a9d5d', Failed: '#c8423b', Stopped: '#888', Degraded: '#c8423b', Progressing: '#6b8fe8',
};

interface CapacityRow {
  key: string;
  total: number;
  allocated: number;
  fragmented: number;
  free: number;
}

export function Overview({ session }: { session: Session }) {
  const { summary, error } = useSummary(session.client);
  return (
    <section aria-labelledby="overview-title">
      <h1 id="overview-title">Overview</h1>
      {error && <ErrorBox>Fleet summary: {error}</ErrorBox>}
      {!summary ? (error ? null : <Loading what="the fleet" />) : <Figures session={session} summary={summary} />}
    </section>
  );
}

function Figures({ session, summary }: { session: Session; summary: FleetSummary }) {
  const byModel = useMemo(() => capacity(summary.gpus, (g) => g.model), [summary.gpus]);
  const bySite = useMemo(() => capacity(summary.gpus, (g) => g.site || '(no site)'), [summary.gpus]);
  const phases = useMemo(() => sumBy(summary.workloads, (w) => w.phase), [summary.workloads]);
  const pending = summary.workloads.filter((w) => isPending(w.phase));
  const queueDepth = useMemo(() => sumBy(pending, (w) => w.queue || '(none)'), [pending]);
  const total = byModel.reduce((s, r) => s + r.total, 0);
  const allocated = byModel.reduce((s, r) => s + r.allocated, 0);
  const nodes = summary.nodes.reduce((s, n) => s + n.count, 0);
  const notReady = summary.nodes.filter((n) => n.state !== 'Ready').reduce((s, n) => s + n.count, 0);
  const workloads = summary.workloads.reduce((s, w) => s + w.count, 0);
  return (
    <>
      <div className="stats" data-testid="overview-stats">
        <Stat label="GPUs allocated" value={`${round(allocated)} / ${total}`} hint={total ? `${Math.round((allocated / total) * 100)}%` : undefined} />
        <Stat label="Nodes" value={nodes} hint={notReady ? `${notReady} not ready` : undefined} />
        <Stat label="Workloads" value={workloads} />
        <Stat label="Pending" value={pending.reduce((s, w) => s + w.count, 0)} />
        <SpendToday session={session} />
      </div>
      <div className="grid">
        <StackedBars title="GPUs by model" rows={byModel.map(capRow)} />
        <StackedBars title="GPUs by site" rows={bySite.map(capRow)} />
        <StackedBars
          title="Workloads by phase"
          rows={Object.entries(phases).sort().map(([k, v]) => ({ key: k, segments: [{ label: 'workloads', value: v, colour: PHASE_COLOURS[k] ?? '#6b7280' }] }))}
        />
        <StackedBars
          title="Queue depth (pending workloads)"
          rows={Object.entries(queueDepth).sort().map(([k, v]) => ({ key: k, segments: [{ label: 'pending', value: v, colour: COLOURS.fragmented }] }))}
        />
      </div>
      {Object.keys(queueDepth).length === 0 && <p className="muted">No workload is waiting in a queue.</p>}
      <p><a href={href('workloads')}>All workloads</a> · <a href={href('fleet')}>Fleet heatmap</a></p>
    </>
  );
}

/** GPU figures grouped by `keyOf` (model or site), sorted by key. */
function capacity(gpus: SummaryGpus[], keyOf: (g: SummaryGpus) => string): CapacityRow[] {
  const rows = new Map<string, CapacityRow>();
  for (const g of gpus) {
    const key = keyOf(g);
    const r = rows.get(key) ?? { key, total: 0, allocated: 0, fragmented: 0, free: 0 };
    r.total += g.total;
    r.allocated += g.allocated;
    r.fragmented += g.fragmented;
    r.free += g.free;
    rows.set(key, r);
  }
  return [...rows.values()].sort((a, b) => a.key.localeCompare(b.key));
}

function capRow(r: CapacityRow) {
  return {
    key: r.key,
    segments: [
      { label: 'allocated', value: Math.round(r.allocated * 100) / 100, colour: COLOURS.allocated },
      { label: 'fragmented', value: Math.round(r.fragmented * 100) / 100, colour: COLOURS.fragmented },
      { label: 'free', value: r.free, colour: COLOURS.free },
    ],
  };
}

function sumBy<T extends { count: number }>(items: T[], key: (r: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const i of items) out[key(i)] = (out[key(i)] ?? 0) + i.count;
  return out;
}

function SpendToday({ session }: { session: Session }) {
  const [report, setReport] = useState<UsageReport | null | undefined>(undefined);
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    let live = true;
    const load = (): void => {
      usage(session.client, { from: startOfToday(), by: 'project' })
        .then((r) => live && setReport(r ?? null))
        .catch((err) => live && setError(errorText(err)));
    };
    load();
    // Usage is metered, not watched: refresh once a minute.
    const t = setInterval(load, 60_000);
    return () => {
      live = false;
      clearInterval(t);
    };
  }, [session.client]);
  if (error) return <Stat label="Spend today" value="—" hint={error} />;
  if (report === undefined) return <Stat label="Spend today" value="…" />;
  if (report === null) return <Stat label="Spend today" value="—" hint="metering is not available on this server" />;
  const cost = sumDecimals(report.rows.map((r) => r.cost));
  return <Stat label="Spend today" value={money(cost, report.currency)} hint={`${round(report.rows.reduce((s, r) => s + r.gpuHours, 0))} GPU-hours`} />;
}
