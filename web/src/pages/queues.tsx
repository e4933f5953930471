// Queues and projects: quota vs usage vs borrowed per queue (the fair-share view), project
// quotas and, for cluster admins, users and their roles.
import { useMemo } from 'react';
import { StackedBars } from '../components/charts.js';
import { ErrorBox, Loading } from '../components/common.js';
import { num, obj, round, spec, status, str, type Obj } from '../format.js';
import { useLive } from '../live.js';
import type { Session } from '../session.js';
import { useSummary } from '../summary.js';

type PerModel = Record<string, number>;

const gpuAmounts = (v: unknown): PerModel => Object.fromEntries(Object.entries(obj(obj(v).gpu)).map(([k, n]) => [k, num(n)]));

/** Queue status amounts are flat ({"H100-80GB": 16, cpu: 96, memory: …}); keep the GPU ones. */
const statusGpus = (v: unknown): PerModel => {
  const o = obj(v);
  if (o.gpu) return gpuAmounts(o);
  return Object.fromEntries(Object.entries(o).filter(([k]) => k !== 'cpu' && k !== 'memory').map(([k, n]) => [k, num(n)]));
};

function add(into: PerModel, from: PerModel): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

export function Queues({ session }: { session: Session }) {
  const c = session.client;
  const queues = useLive(c, 'queues');
  const projects = useLive(c, 'projects');
  // What each project holds comes from the server's summary, not from listing every allocation.
  const { summary, error: summaryError } = useSummary(c);
  const counting = !summary && !summaryError;
  const byProject = useMemo(() => {
    const out = new Map<string, PerModel>();
    for (const h of summary?.held ?? []) add(out.get(h.project) ?? out.set(h.project, {}).get(h.project)!, { [h.model]: h.gpus });
    return out;
  }, [summary?.held]);

  const queueRows = queues.items.map((q) => {
    const st = status(q);
    // The scheduler's own fair-share accounting; absent until it has counted the queue once.
    const used = st.usage ? statusGpus(st.usage) : undefined;
    const pending = typeof st.pendingGangs === 'number' ? st.pendingGangs : undefined;
    return { q, used, pending, nominal: gpuAmounts(spec(q).nominalQuota), borrowed: statusGpus(st.borrowed), limit: gpuAmounts(spec(q).borrowingLimit) };
  });

  return (
    <section aria-labelledby="queues-title">
      <h1 id="queues-title">Queues and projects</h1>
      {summaryError && <ErrorBox>GPUs in use are not available: {summaryError}</ErrorBox>}
      <h2>Queues</h2>
      {queues.error ? (
        <ErrorBox>{queues.error}</ErrorBox>
      ) : !queues.ready || counting ? (
        <Loading what="queues" />
      ) : queueRows.length === 0 ? (
        <p className="muted">No queues are defined.</p>
      ) : (
        <>
          <div className="table-wrap">
            <table data-testid="queues-table">
              <thead><tr><th scope="col">Queue</th><th scope="col">Parent</th><th scope="col">Project</th><th scope="col">Weight</th><th scope="col">GPU model</th><th scope="col">Nominal</th><th scope="col">In use</th><th scope="col">Borrowed</th><th scope="col">Borrowing limit</th><th scope="col">Pending gangs</th></tr></thead>
              <tbody>
                {queueRows.flatMap(({ q, used, pending, nominal, borrowed, limit }) => {
                  const models = [...new Set([...Object.keys(nominal), ...Object.keys(used ?? {})])].sort();
                  return (models.length ? models : ['—']).map((m, i) => (
                    <tr key={`${q.metadata.name}/${m}`}>
                      {i === 0 && <th scope="row" rowSpan={models.length || 1}>{q.metadata.name}</th>}
                      {i === 0 && <td rowSpan={models.length || 1}>{str(spec(q).parent) ?? '—'}</td>}
                      {i === 0 && <td rowSpan={models.length || 1}>{str(spec(q).project) ?? '—'}</td>}
                      {i === 0 && <td rowSpan={models.length || 1}>{String(spec(q).weight ?? 1)}</td>}
                      <td>{m}</td>
                      <td>{nominal[m] ?? 0}</td>
                      <td>{used ? round(used[m] ?? 0, 2) : '—'}</td>
                      <td>{round(borrowed[m] ?? 0, 2)}</td>
                      <td>{limit[m] ?? '—'}</td>
                      {i === 0 && <td rowSpan={models.length || 1}>{pending ?? '—'}</td>}
                    </tr>
                  ));
                })}
              </tbody>
            </table>
          </div>
          <StackedBars
            title="Fair share: GPUs in use against nominal quota, per queue"
            unit=" GPUs"
            rows={queueRows.filter((r) => Object.keys(r.nominal).length).map(({ q, used, nominal }) => {
              const n = Object.values(nominal).reduce((s, v) => s + v, 0);
              const u = Object.values(used ?? {}).reduce((s, v) => s + v, 0);
              return {
                key: q.metadata.name,
                segments: [
                  { label: 'in use (within quota)', value: round2(Math.min(u, n)), colour: '#2f5bd3' },
                  { label: 'borrowed', value: round2(Math.max(0, u - n)), colour: '#c8423b' },
                  { label: 'idle quota (lendable)', value: round2(Math.max(0, n - u)), colour: '#9fd3a8' },
                ],
              };
            })}
          />
        </>
      )}
      <h2>Projects</h2>
      {projects.error ? <ErrorBox>{projects.error}</ErrorBox> : !projects.ready || counting ? <Loading what="projects" /> : (
        <div className="table-wrap">
          <table data-testid="projects-table">
            <thead><tr><th scope="col">Project</th><th scope="col">Display name</th><th scope="col">GPU quota</th><th scope="col">GPUs in use</th><th scope="col">CPU / memory quota</th><th scope="col">Default queue</th></tr></thead>
            <tbody>
              {projects.items.map((p) => {
                const quota = obj(spec(p).quota);
                const used = byProject.get(p.metadata.name) ?? {};
                return (
                  <tr key={p.metadata.name}>
                    <th scope="row">{p.metadata.name}</th>
                    <td>{str(spec(p).displayName) ?? ''}</td>
                    <td>{amounts(gpuAmounts(quota))}</td>
                    <td>{amounts(used)}</td>
                    <td>{str(quota.cpu) ?? '—'} / {str(quota.memory) ?? '—'}</td>
                    <td>{str(spec(p).defaultQueue) ?? '—'}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {session.admin && <Members session={session} />}
    </section>
  );
}

function Members({ session }: { session: Session }) {
  const users = useLive(session.client, 'users');
  return (
    <>
      <h2>Members and roles</h2>
      {users.error ? <ErrorBox>{users.error}</ErrorBox> : !users.ready ? <Loading what="users" /> : (
        <div className="table-wrap">
          <table data-testid="members-table">
            <thead><tr><th scope="col">User</th><th scope="col">Name</th><th scope="col">Roles</th></tr></thead>
            <tbody>
              {users.items.map((u) => (
                <tr key={u.metadata.name}>
                  <th scope="row">{u.metadata.name}</th>
                  <td>{str(spec(u).displayName) ?? ''}</td>
                  <td>{(Array.isArray(spec(u).roles) ? (spec(u).roles as Obj[]) : []).map((r) => (r.project ? `${String(r.role)} in ${String(r.project)}` : `${String(r.role)} (cluster)`)).join(', ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

function amounts(per: PerModel): string {
  const e = Object.entries(per).filter(([, v]) => v > 0);
  return e.length ? e.map(([k, v]) => `${round(v, 2)} × ${k}`).join(', ') : '—';
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
