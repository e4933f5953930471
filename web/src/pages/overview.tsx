// Overview: capacity by model and site, queue depths, workloads by phase and today's spend,
// all from live watches.
import { useEffect, useMemo, useState } from 'react';
import type { Resource } from '../../../src/model/metadata.js';
import { StackedBars } from '../components/charts.js';
import { ErrorBox, Loading, Stat } from '../components/common.js';
import { capacity, nodeViews } from '../fleet.js';
import { errorText, isPending, phaseOf, round, spec, str } from '../format.js';
import { useLive } from '../live.js';
import { href } from '../router.js';
import type { Session } from '../session.js';
import { money, startOfToday, sumMoney, usage, type UsageReport } from '../usage.js';

const COLOURS = { allocated: '#2f5bd3', fragmented: '#e0a526', free: '#9fd3a8' };
const PHASE_COLOURS: Record<string, string> = {
  Pending: '#e0a526', Running: '#2f5bd3', Available: '#2f5bd3', Succeeded: '#3a9d5d', Failed: '#c8423b', Stopped: '#888', Degraded: '#c8423b', Progressing: '#6b8fe8',
};

export function Overview({ session }: { session: Session }) {
  const c = session.client;
  const nodes = useLive(c, 'nodes');
  const allocations = useLive(c, 'allocations');
  const jobs = useLive(c, 'jobs');
  const services = useLive(c, 'services');
  const devenvs = useLive(c, 'devenvironments');
  const views = useMemo(() => nodeViews(nodes.items, allocations.items), [nodes.items, allocations.items]);
  const byModel = useMemo(() => capacity(views, (_v, g) => g.model), [views]);
  const bySite = useMemo(() => capacity(views, (v) => v.site), [views]);
  const workloads = useMemo(() => [...jobs.items, ...services.items, ...devenvs.items], [jobs.items, services.items, devenvs.items]);
  const phases = useMemo(() => countBy(workloads, phaseOf), [workloads]);
  const queueDepth = useMemo(() => countBy(workloads.filter((w) => isPending(phaseOf(w))), (w) => str(spec(w).queue) ?? '(none)'), [workloads]);
  const total = byModel.reduce((s, r) => s + r.total, 0);
  const allocated = byModel.reduce((s, r) => s + r.allocated, 0);
  const ready = nodes.ready && allocations.ready && jobs.ready;

  return (
    <section aria-labelledby="overview-title">
      <h1 id="overview-title">Overview</h1>
      {nodes.error && <ErrorBox>Nodes: {nodes.error}</ErrorBox>}
      {!ready ? (
        <Loading what="the fleet" />
      ) : (
        <>
          <div className="stats" data-testid="overview-stats">
            <Stat label="GPUs allocated" value={`${round(allocated)} / ${total}`} hint={total ? `${Math.round((allocated / total) * 100)}%` : undefined} />
            <Stat label="Nodes" value={nodes.items.length} />
            <Stat label="Workloads" value={workloads.length} />
            <Stat label="Pending" value={workloads.filter((w) => isPending(phaseOf(w))).length} />
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
      )}
    </section>
  );
}

function capRow(r: { key: string; allocated: number; fragmented: number; free: number }) {
  return {
    key: r.key,
    segments: [
      { label: 'allocated', value: Math.round(r.allocated * 100) / 100, colour: COLOURS.allocated },
      { label: 'fragmented', value: Math.round(r.fragmented * 100) / 100, colour: COLOURS.fragmented },
      { label: 'free', value: r.free, colour: COLOURS.free },
    ],
  };
}

function countBy(items: Resource[], key: (r: Resource) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const i of items) out[key(i)] = (out[key(i)] ?? 0) + 1;
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
  const cost = sumMoney(report.rows.map((r) => r.cost));
  return <Stat label="Spend today" value={money(cost, report.currency)} hint={`${round(report.rows.reduce((s, r) => s + r.gpuHours, 0))} GPU-hours`} />;
}
