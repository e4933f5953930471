// Fleet: sites → racks → nodes with a GPU heatmap; node detail with its allocations and, for
// cluster admins, cordon / uncordon / drain.
import { useEffect, useMemo, useState } from 'react';
import { drainNode, WeftApiError } from '../../../src/client/index.js';
import { ErrorBox, Loading, NotAvailable, Phase } from '../components/common.js';
import { GpuCells, MIG_LINES } from '../components/heatmap.js';
import { nodeViews, type NodeView } from '../fleet.js';
import { colourFor, errorText, obj, spec, status, str, time } from '../format.js';
import { useLive } from '../live.js';
import { href, workloadHref } from '../router.js';
import type { Session } from '../session.js';

export function Fleet({ session, node }: { session: Session; node?: string }) {
  const c = session.client;
  const nodes = useLive(c, 'nodes');
  const allocations = useLive(c, 'allocations');
  const [filter, setFilter] = useState('');
  const views = useMemo(() => nodeViews(nodes.items, allocations.items), [nodes.items, allocations.items]);
  const shown = useMemo(() => views.filter((v) => !filter || v.name.includes(filter) || v.site.includes(filter) || v.rack.includes(filter)), [views, filter]);
  const tree = useMemo(() => group(shown), [shown]);
  const projects = useMemo(() => [...new Set(views.flatMap((v) => v.gpus.flatMap((g) => g.uses.map((u) => u.project))))].sort(), [views]);
  const selected = node ? views.find((v) => v.name === node) : undefined;
  const hasMig = useMemo(() => views.some((v) => v.gpus.some((g) => g.migEnabled)), [views]);

  if (nodes.error) return <ErrorBox>{nodes.error}</ErrorBox>;
  return (
    <section aria-labelledby="fleet-title" className={selected ? 'with-detail' : undefined}>
      <h1 id="fleet-title">Fleet</h1>
      {allocations.error && <ErrorBox>Allocations: {allocations.error}</ErrorBox>}
      {/* One render with both: drawing a thousand nodes twice costs more than waiting for the second list. */}
      {!nodes.ready || (!allocations.ready && !allocations.error) ? (
        <Loading what="the fleet" />
      ) : (
        <div className="fleet-layout">
          <div className="fleet-map">
            <label className="inline">Filter <input type="search" value={filter} onChange={(e) => setFilter(e.target.value)} placeholder="node, rack or site" /></label>
            <ul className="legend" aria-label="Legend" data-testid="fleet-legend">
              <li><span className="swatch free" aria-hidden="true" />free</li>
              {hasMig && <li><svg className="swatch swatch-mig" viewBox="0 0 14 14" aria-hidden="true"><rect width={14} height={14} rx={2} className="gpu" /><path d={MIG_LINES} className="mig-line" fill="none" /></svg>MIG mode (8 memory slices; instances drawn inside)</li>}
              {projects.map((p) => <li key={p}><span className="swatch" style={{ background: colourFor(p) }} aria-hidden="true" />{p}</li>)}
            </ul>
            <div className="sites">
            {[...tree].map(([site, racks]) => (
              <section key={site} className="site" aria-label={`Site ${site}`}>
                <h2>{site}</h2>
                {/* A rack is drawn as the column it is, so its nodes never wrap onto a line of their own. */}
                <div className="racks">
                {[...racks].map(([rack, members]) => (
                  <div key={rack} className="rack" data-testid="rack">
                    <h3>{rack} <span className="muted">({members.length} nodes)</span></h3>
                    <ul className="nodes">
                      {members.map((v) => (
                        <li key={v.name}>
                          <a href={href('fleet', 'node', v.name)} className={`node-tile state-${v.state.toLowerCase()}`} aria-current={v.name === node ? 'true' : undefined} aria-label={`${v.name}, ${v.state}, ${v.gpus.filter((g) => g.milli > 0).length} of ${v.gpus.length} GPUs in use`}>
                            <span className="node-name">{v.name}</span>
                            <GpuCells view={v} />
                            {v.state !== 'Ready' && <span className="node-state">{v.state}</span>}
                          </a>
                        </li>
                      ))}
                    </ul>
                  </div>
                ))}
                </div>
              </section>
            ))}
            </div>
          </div>
          {node && (selected ? <NodeDetail session={session} view={selected} /> : <p>No node named {node}.</p>)}
        </div>
      )}
    </section>
  );
}

function group(views: NodeView[]): Map<string, Map<string, NodeView[]>> {
  const sites = new Map<string, Map<string, NodeView[]>>();
  for (const v of views) {
    const racks = sites.get(v.site) ?? new Map<string, NodeView[]>();
    racks.set(v.rack, [...(racks.get(v.rack) ?? []), v]);
    sites.set(v.site, racks);
  }
  return sites;
}

const HEARTBEAT_REFRESH_MS = 10_000;

/**
 * The node's latest heartbeat. Heartbeats are renewed apart from the Node (no watch event), so
 * the watched Node carries the time of its last change; a GET puts the latest in, and the open
 * detail asks again every 10 s (a node's heartbeat period).
 */
function useLastHeartbeat(session: Session, name: string, watched: string | undefined): string | undefined {
  const [fetched, setFetched] = useState<{ name: string; at?: string }>();
  useEffect(() => {
    let open = true;
    const load = (): void => {
      session.client.get('Node', name).then((n) => open && setFetched({ name, at: str(status(n).lastHeartbeatTime) }), () => undefined);
    };
    load();
    const timer = setInterval(load, HEARTBEAT_REFRESH_MS);
    return () => {
      open = false;
      clearInterval(timer);
    };
  }, [session, name]);
  const at = fetched?.name === name ? fetched.at : undefined;
  if (at === undefined || watched === undefined) return at ?? watched;
  return Date.parse(at) >= Date.parse(watched) ? at : watched;
}

function NodeDetail({ session, view }: { session: Session; view: NodeView }) {
  const n = view.node;
  const s = spec(n);
  const st = status(n);
  const lastHeartbeat = useLastHeartbeat(session, view.name, str(st.lastHeartbeatTime));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const [drainMissing, setDrainMissing] = useState(false);
  const act = async (fn: () => Promise<unknown>): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      await fn();
    } catch (err) {
      if (err instanceof WeftApiError && err.status === 404 && /no route/i.test(err.detail)) setDrainMissing(true);
      else setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  const cordoned = s.unschedulable === true;
  return (
    <aside className="node-detail" aria-labelledby="node-title" data-testid="node-detail">
      <h2 id="node-title">{view.name}</h2>
      <p>State: <strong data-testid="node-state">{view.state}</strong>{st.simulated === true && <span className="tag">simulated</span>}</p>
      <dl className="facts">
        <dt>Site / rack</dt><dd>{view.site} / {view.rack}</dd>
        <dt>NVLink domain</dt><dd>{str(s.nvlinkDomain) ?? '—'}</dd>
        <dt>CPU / memory</dt><dd>{str(s.cpu)} / {str(s.memory)}</dd>
        <dt>GPUs</dt><dd>{view.gpus.length} × {view.gpus[0]?.model ?? '—'}{view.gpus.some((g) => g.migEnabled) ? ' (MIG)' : ''}</dd>
        <dt>Provider</dt><dd>{str(s.provider) ?? '—'}</dd>
        <dt>Last heartbeat</dt><dd data-testid="node-heartbeat">{time(lastHeartbeat)}</dd>
      </dl>
      {session.admin && (
        <div className="actions">
          <button type="button" disabled={busy} onClick={() => void act(() => session.client.patch('Node', view.name, { spec: { unschedulable: !cordoned } }))}>{cordoned ? 'Uncordon' : 'Cordon'}</button>
          <button
            type="button"
            className="danger"
            disabled={busy || view.state === 'Draining'}
            onClick={() => {
              if (window.confirm(`Drain ${view.name}? Its workloads are stopped and rescheduled elsewhere.`)) void act(() => drainNode(session.client, view.name));
            }}
          >
            Drain
          </button>
        </div>
      )}
      {drainMissing && <NotAvailable what="Draining" />}
      {error && <ErrorBox>{error}</ErrorBox>}
      <h3>Allocations ({view.allocations.length})</h3>
      {view.allocations.length === 0 ? (
        <p className="muted">Nothing runs here.</p>
      ) : (
        <ul className="plain">
          {view.allocations.map((a) => {
            const w = obj(spec(a).workload);
            return (
              <li key={`${a.metadata.project}/${a.metadata.name}`}>
                <span className="swatch" style={{ background: colourFor(a.metadata.project ?? '') }} aria-hidden="true" />
                <a href={workloadHref(String(w.kind), a.metadata.project ?? '', String(w.name))}>{a.metadata.project}/{String(w.name)}</a>{' '}
                replica {String(spec(a).replica)} <Phase phase={str(status(a).phase) ?? 'Bound'} />
              </li>
            );
          })}
        </ul>
      )}
    </aside>
  );
}
