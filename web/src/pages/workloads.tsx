// Workloads: every Job, Service and DevEnvironment the user may see, live, with filters.
import { useMemo, useState } from 'react';
import type { Resource } from '../../../src/model/metadata.js';
import { ErrorBox, Loading, Phase } from '../components/common.js';
import { age, gpuRequest, phaseOf, replicasOf, spec, str, WORKLOAD_KINDS } from '../format.js';
import { useLive } from '../live.js';
import { href } from '../router.js';
import { canWrite, type Session } from '../session.js';

const PAGE = 100;

export function Workloads({ session }: { session: Session }) {
  const c = session.client;
  const jobs = useLive(c, 'jobs');
  const services = useLive(c, 'services');
  const devenvs = useLive(c, 'devenvironments');
  const [kind, setKind] = useState('');
  const [project, setProject] = useState('');
  const [phase, setPhase] = useState('');
  const [text, setText] = useState('');
  const [shown, setShown] = useState(PAGE);

  const all = useMemo(() => [...jobs.items, ...services.items, ...devenvs.items], [jobs.items, services.items, devenvs.items]);
  const projects = useMemo(() => [...new Set(all.map((w) => w.metadata.project ?? ''))].sort(), [all]);
  const phases = useMemo(() => [...new Set(all.map(phaseOf))].sort(), [all]);
  const rows = useMemo(() => {
    const q = text.trim().toLowerCase();
    return all
      .filter((w) => (!kind || w.kind === kind) && (!project || w.metadata.project === project) && (!phase || phaseOf(w) === phase))
      .filter((w) => !q || w.metadata.name.toLowerCase().includes(q) || Object.values(w.metadata.labels ?? {}).some((v) => v.toLowerCase().includes(q)))
      .sort((a, b) => (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? '') || a.metadata.name.localeCompare(b.metadata.name));
  }, [all, kind, project, phase, text]);
  const mayCreate = session.admin || [...session.projects.keys()].some((p) => canWrite(session, p));
  const error = jobs.error ?? services.error ?? devenvs.error;

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
      {!jobs.ready ? (
        <Loading what="workloads" />
      ) : rows.length === 0 ? (
        <p className="muted">No workloads match.</p>
      ) : (
        <>
          <div className="table-wrap">
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
            Showing {Math.min(shown, rows.length)} of {rows.length}.{' '}
            {shown < rows.length && <button type="button" className="link" onClick={() => setShown(shown + PAGE * 5)}>Show more</button>}
          </p>
        </>
      )}
    </section>
  );
}

function Row({ w }: { w: Resource }) {
  return (
    <tr>
      <td><a href={href('workloads', w.kind, w.metadata.project ?? '', w.metadata.name)}>{w.metadata.name}</a></td>
      <td>{w.kind}</td>
      <td>{w.metadata.project}</td>
      <td><Phase phase={phaseOf(w)} /></td>
      <td>{replicasOf(w)}</td>
      <td>{gpuRequest(w)}</td>
      <td>{str(spec(w).queue) ?? '—'}</td>
      <td>{age(w.metadata.creationTimestamp)}</td>
    </tr>
  );
}
