// Workloads: every Job, Service and DevEnvironment the user may see, live, with filters. The
// newest page of each kind is fetched first and shown with the totals from the fleet summary;
// the whole live collections load behind it and take over once they are complete.
import { useEffect, useMemo, useState } from 'react';
import type { Resource } from '../../../src/model/metadata.js';
import type { SummaryWorkloads, WeftClient } from '../../../src/client/index.js';
import { ErrorBox, Loading, Phase } from '../components/common.js';
import { age, errorText, gpuRequest, phaseOf, replicasShown, spec, str, WORKLOAD_KINDS } from '../format.js';
import { isLoaded, useLive } from '../live.js';
import { href, workloadHref } from '../router.js';
import { canWrite, type Session } from '../session.js';
import { useSummary } from '../summary.js';

const PAGE = 100;

export function Workloads({ session }: { session: Session }) {
  const c = session.client;
  // Coming back to the page: the collections are already loaded and live.
  const [warm] = useState(() => WORKLOAD_KINDS.every((k) => isLoaded(c, k.plural)));
  const newest = useNewest(c, !warm);
  // The whole collections wait for the first page: the server answers one query at a time.
  const full = warm || newest.ready;
  // One live list per workload kind; the registry is a constant, so the hooks run in the same order every render.
  const lists = WORKLOAD_KINDS.map((k) => useLive(c, k.plural, {}, full));
  const { summary } = useSummary(c);
  const [kind, setKind] = useState('');
  const [project, setProject] = useState('');
  const [phase, setPhase] = useState('');
  const [text, setText] = useState('');
  const [shown, setShown] = useState(PAGE);

  const complete = lists.every((l) => l.ready);
  const all = useMemo(
    () => (complete ? lists.flatMap((l) => l.items) : newest.items),
    [complete, newest.items, ...lists.map((l) => l.items)], // each kind's items
  );
  const counted = summary?.workloads;
  const projects = useMemo(() => [...new Set([...all.map((w) => w.metadata.project ?? ''), ...(counted ?? []).map((w) => w.project)])].sort(), [all, counted]);
  const phases = useMemo(() => [...new Set([...all.map(phaseOf), ...(counted ?? []).map((w) => w.phase)])].sort(), [all, counted]);
  const rows = useMemo(() => {
    const q = text.trim().toLowerCase();
    return all
      .filter((w) => (!kind || w.kind === kind) && (!project || w.metadata.project === project) && (!phase || phaseOf(w) === phase))
      .filter((w) => !q || w.metadata.name.toLowerCase().includes(q) || Object.values(w.metadata.labels ?? {}).some((v) => v.toLowerCase().includes(q)))
      .sort(newestFirst);
  }, [all, kind, project, phase, text]);
  // Until everything is loaded the total comes from the summary (it cannot search by text).
  const total = complete ? rows.length : text.trim() || !counted ? undefined : countOf(counted, kind, project, phase);
  const mayCreate = session.admin || [...session.projects.keys()].some((p) => canWrite(session, p));
  const error = newest.error ?? lists.find((l) => l.error)?.error;

  return (
    <section aria-labelledby="workloads-title">
      <div className="title-row">
        <h1 id="workloads-title">Workloads</h1>
        {mayCreate && <a className="button" href={href('workloads', 'new')}>Submit a workload</a>}
      </div>
      {error && <ErrorBox>{error}</ErrorBox>}
      <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <label>Kind
          <select value={kind} onChange={(e) => setKind(e.target.value)}>
            <option value="">All</option>
            {WORKLOAD_KINDS.map((k) => <option key={k.kind} value={k.kind}>{k.kind}</option>)}
          </select>
        </label>
        <label>Project
          <select value={project} onChange={(e) => setProject(e.target.value)}>
            <option value="">All</option>
            {projects.map((p) => <option key={p} value={p}>{p}</option>)}
          </select>
        </label>
        <label>Phase
          <select value={phase} onChange={(e) => setPhase(e.target.value)}>
            <option value="">All</option>
            {phases.map((p) => <option key={p} value={p}>{p}</option>)}
          </select>
        </label>
        <label>Search
          <input type="search" value={text} placeholder="name or label" onChange={(e) => setText(e.target.value)} />
        </label>
      </form>
      {!full ? (
        <Loading what="workloads" />
      ) : rows.length === 0 ? (
        <p className="muted">No workloads match.</p>
      ) : (
        <>
          <div className="table-wrap" aria-busy={!complete}>
            <table data-testid="workloads-table">
              <caption className="sr-only">Workloads, newest first</caption>
              <thead>
                <tr><th scope="col">Name</th><th scope="col">Kind</th><th scope="col">Project</th><th scope="col">Phase</th><th scope="col">Replicas</th><th scope="col">GPUs / replica</th><th scope="col">Queue</th><th scope="col">Age</th></tr>
              </thead>
              <tbody>
                {rows.slice(0, shown).map((w) => <Row key={`${w.kind}/${w.metadata.project}/${w.metadata.name}`} w={w} />)}
              </tbody>
            </table>
          </div>
          <p className="muted">
            Showing {Math.min(shown, rows.length)} of {total ?? '…'}.{' '}
            {!complete && <span>Loading the rest…</span>}
            {complete && shown < rows.length && <button type="button" className="link" onClick={() => setShown(shown + PAGE * 5)}>Show more</button>}
          </p>
        </>
      )}
    </section>
  );
}

function Row({ w }: { w: Resource }) {
  return (
    <tr>
      <td><a href={workloadHref(w.kind, w.metadata.project ?? '', w.metadata.name)}>{w.metadata.name}</a></td>
      <td>{w.kind}</td>
      <td>{w.metadata.project}</td>
      <td><Phase phase={phaseOf(w)} /></td>
      <td>{replicasShown(w)}</td>
      <td>{gpuRequest(w)}</td>
      <td>{str(spec(w).queue) ?? '—'}</td>
      <td>{age(w.metadata.creationTimestamp)}</td>
    </tr>
  );
}

/** Newest first; ties (same millisecond) by project, then name, as the server's newest order. */
function newestFirst(a: Resource, b: Resource): number {
  return (
    (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? '') ||
    (a.metadata.project ?? '').localeCompare(b.metadata.project ?? '') ||
    a.metadata.name.localeCompare(b.metadata.name)
  );
}

function countOf(counts: SummaryWorkloads[], kind: string, project: string, phase: string): number {
  return counts.filter((w) => (!kind || w.kind === kind) && (!project || w.project === project) && (!phase || w.phase === phase)).reduce((s, w) => s + w.count, 0);
}

/** The newest page of every workload kind, fetched once. */
function useNewest(client: WeftClient, wanted: boolean): { items: Resource[]; ready: boolean; error?: string } {
  const [state, setState] = useState<{ items: Resource[]; ready: boolean; error?: string }>({ items: [], ready: false });
  useEffect(() => {
    if (!wanted) return;
    let live = true;
    Promise.all(WORKLOAD_KINDS.map((k) => client.list(k.plural, { order: 'newest', limit: PAGE })))
      .then((pages) => live && setState({ items: pages.flatMap((p) => p.items), ready: true }))
      .catch((err: unknown) => live && setState({ items: [], ready: true, error: errorText(err) }));
    return () => {
      live = false;
    };
  }, [client, wanted]);
  return state;
}
