// One workload: phase timeline, why it is pending, its allocations, events, live logs and the
// actions the user's role allows.
import { useMemo, useState } from 'react';
import { workloadKind } from '../../../src/model/kind-names.js';
import type { Resource } from '../../../src/model/metadata.js';
import { ErrorBox, Loading, Phase } from '../components/common.js';
import { Logs } from '../components/logs.js';
import { age, errorText, gpuRequest, isPending, obj, phaseOf, pluralOf, replicasShown, spec, status, str, time } from '../format.js';
import { useLive } from '../live.js';
import { href, navigate } from '../router.js';
import { canWrite, type Session } from '../session.js';

interface Props {
  session: Session;
  kind: string;
  project: string;
  name: string;
}

export function WorkloadDetail({ session, kind, project, name }: Props) {
  const c = session.client;
  // This workload alone, and its allocations and events by label, each watched: nothing here
  // lists the whole fleet, so the page opens as fast with 5,000 workloads as with five.
  const list = useLive(c, pluralOf(kind), { project, fieldSelector: `metadata.name=${name}` });
  const allocations = useLive(c, 'allocations', { project, labelSelector: `weft.dev/workload=${name},weft.dev/workload-kind=${kind}` });
  const events = useLive(c, 'events', { project, labelSelector: `weft.dev/involved-name=${name}` });
  const w = list.items.find((i) => i.metadata.project === project && i.metadata.name === name);
  // A workload that names no priority class runs at the cluster's default one.
  const priorityClasses = useLive(c, 'priorityclasses');
  const defaultClass = priorityClasses.items.find((pc) => spec(pc).globalDefault === true)?.metadata.name;
  const mine = useMemo(
    () =>
      allocations.items
        .filter((a) => a.metadata.project === project && str(obj(spec(a).workload).name) === name && str(obj(spec(a).workload).kind) === kind)
        .sort((a, b) => Number(spec(b).attempt) - Number(spec(a).attempt) || Number(spec(a).replica) - Number(spec(b).replica)),
    [allocations.items, project, name, kind],
  );
  const myEvents = useMemo(
    () =>
      events.items
        .filter((e) => {
          const inv = obj(spec(e).involvedObject);
          return e.metadata.project === project && inv.name === name && inv.kind === kind;
        })
        .sort((a, b) => (str(spec(b).lastTimestamp) ?? '').localeCompare(str(spec(a).lastTimestamp) ?? '')),
    [events.items, project, name, kind],
  );

  if (list.error) return <ErrorBox>{list.error}</ErrorBox>;
  if (!list.ready) return <Loading what={`${kind} ${name}`} />;
  if (!w) {
    return (
      <section>
        <h1>{kind} {name}</h1>
        <p>There is no {kind} “{name}” in project {project} (it may have been deleted). <a href={href('workloads')}>Back to workloads</a></p>
      </section>
    );
  }
  const phase = phaseOf(w);
  return (
    <section aria-labelledby="wl-title">
      <p className="crumbs"><a href={href('workloads')}>Workloads</a> / {project}</p>
      <div className="title-row">
        <h1 id="wl-title">{kind} {name}</h1>
        <span data-testid="workload-phase"><Phase phase={phase} /></span>
      </div>
      {canWrite(session, project) && <Actions session={session} w={w} />}
      <dl className="facts">
        <dt>Replicas</dt><dd data-testid="replicas">{replicasShown(w, true)}</dd>
        <dt>GPUs per replica</dt><dd>{gpuRequest(w)}</dd>
        <dt>Queue</dt><dd>{str(spec(w).queue) ?? '—'}</dd>
        <dt>Priority class</dt><dd data-testid="priority-class">{str(spec(w).priorityClass) ?? (defaultClass ? `${defaultClass} (the default)` : priorityClasses.ready ? 'none (priority 0)' : '…')}</dd>
        <dt>Isolation</dt><dd>{str(spec(w).isolation) ?? '—'}</dd>
        <dt>Created</dt><dd>{time(w.metadata.creationTimestamp)}</dd>
      </dl>
      {isPending(phase) && <WhyPending w={w} />}
      <h2>Timeline</h2>
      <Timeline w={w} />
      <h2>Allocations</h2>
      {allocations.error ? (
        <ErrorBox>{allocations.error}</ErrorBox>
      ) : !allocations.ready ? (
        <Loading what="allocations" />
      ) : mine.length === 0 ? (
        <p className="muted">No replica has been placed yet.</p>
      ) : (
        <div className="table-wrap">
          <table>
            <thead><tr><th scope="col">Replica</th><th scope="col">Attempt</th><th scope="col">Node</th><th scope="col">GPUs</th><th scope="col">Phase</th><th scope="col">Started</th><th scope="col">Message</th></tr></thead>
            <tbody>
              {mine.map((a) => (
                <tr key={a.metadata.name}>
                  <td>{String(spec(a).replica)}</td>
                  <td>{String(spec(a).attempt)}</td>
                  <td><a href={href('fleet', 'node', str(spec(a).node) ?? '')}>{str(spec(a).node)}</a></td>
                  <td>{gpuList(a)}</td>
                  <td><Phase phase={str(status(a).phase) ?? 'Bound'} /></td>
                  <td>{age(str(status(a).startedAt))}</td>
                  <td>{str(status(a).message) ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h2>Events</h2>
      {myEvents.length === 0 ? (
        <p className="muted">No events.</p>
      ) : (
        <ul className="events">
          {myEvents.slice(0, 50).map((e) => (
            <li key={e.metadata.name} className={str(spec(e).type) === 'Warning' ? 'warning' : undefined}>
              <span className="muted">{age(str(spec(e).lastTimestamp))} ago</span> <strong>{str(spec(e).reason)}</strong> {str(spec(e).message)}
            </li>
          ))}
        </ul>
      )}
      <h2>Logs</h2>
      <Logs client={c} project={project} plural={pluralOf(kind)} name={name} replicas={replicaIndices(mine)} placement={mine.map((a) => a.metadata.name).join(',')} />
    </section>
  );
}

/** The replica indices that have run (a Service's replacements get new ones); at least replica 0. */
function replicaIndices(allocations: Resource[]): number[] {
  const seen = new Set(allocations.map((a) => Number(spec(a).replica)).filter((n) => Number.isInteger(n) && n >= 0));
  return seen.size === 0 ? [0] : [...seen].sort((a, b) => a - b);
}

function gpuList(a: Resource): string {
  const gpus = Array.isArray(spec(a).gpus) ? (spec(a).gpus as unknown[]).map(obj) : [];
  return gpus
    .map((g) => (g.mig ? `${String(g.index)}:${String(obj(g.mig).profile)}` : g.milli === 1000 ? String(g.index) : `${String(g.index)}×${Number(g.milli) / 1000}`))
    .join(', ') || '—';
}

/** The scheduler's answer to "why is this not running?", in whichever form the server gives it. */
function WhyPending({ w }: { w: Resource }) {
  const st = status(w);
  const scheduling = obj(st.scheduling);
  const explanation = str(st.explanation) ?? str(scheduling.explanation) ?? str(scheduling.message);
  const reasons = Array.isArray(st.reasons) ? st.reasons.map(obj) : [];
  const counts = Object.entries(obj(scheduling.reasons));
  const falseConditions = (Array.isArray(st.conditions) ? st.conditions.map(obj) : []).filter((c) => c.status === 'False');
  return (
    <aside className="why" aria-labelledby="why-title" data-testid="why-pending">
      <h2 id="why-title">Why pending</h2>
      {explanation ? <p>{explanation}</p> : <p className="muted">The scheduler has not reported on this workload yet.</p>}
      {reasons.length > 0 && (
        <ul>{reasons.map((r, i) => <li key={i}><code>{str(r.code)}</code> {str(r.message)}</li>)}</ul>
      )}
      {counts.length > 0 && (
        <ul>{counts.map(([code, n]) => <li key={code}><code>{code}</code> on {String(n)} node(s)</li>)}</ul>
      )}
      {falseConditions.map((c, i) => <p key={i} className="muted">{str(c.type)}: {str(c.message) ?? str(c.reason)}</p>)}
    </aside>
  );
}

function Timeline({ w }: { w: Resource }) {
  const st = status(w);
  const steps: { label: string; at?: string }[] = [
    { label: 'Created', at: w.metadata.creationTimestamp },
    { label: 'Admitted', at: str(st.admittedTime) },
    { label: 'Running', at: str(st.runningTime) ?? str(st.startTime) },
  ];
  const phase = phaseOf(w);
  if (['Succeeded', 'Failed', 'Stopped'].includes(phase)) steps.push({ label: phase, at: str(st.completionTime) });
  for (const c of Array.isArray(st.conditions) ? st.conditions.map(obj) : []) {
    if (c.status !== 'True' || ['Admitted', 'Running'].includes(String(c.type))) continue;
    steps.push({ label: `${String(c.type)}: ${str(c.message) ?? ''}`, at: str(c.lastTransitionTime) });
  }
  const seen = steps.filter((s) => s.at).sort((a, b) => a.at!.localeCompare(b.at!));
  return (
    <ol className="timeline" data-testid="timeline">
      {seen.map((s, i) => (
        <li key={i}><strong>{s.label}</strong> <time dateTime={s.at}>{time(s.at)}</time></li>
      ))}
      {!seen.some((s) => s.label === phase) && phase !== 'Admitted' && <li className="muted"><strong>{phase}</strong> (now)</li>}
    </ol>
  );
}

function Actions({ session, w }: { session: Session; w: Resource }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const scope = { project: w.metadata.project };
  const suspendable = workloadKind(w.kind)?.suspendable === true;
  const suspended = spec(w).suspend === true;
  const act = async (fn: () => Promise<unknown>, after?: () => void): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      await fn();
      after?.();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="actions">
      {suspendable && (
        <button type="button" disabled={busy} onClick={() => void act(() => session.client.patch(w.kind, w.metadata.name, { spec: { suspend: !suspended } }, scope))}>
          {suspended ? 'Resume' : 'Suspend'}
        </button>
      )}
      <button
        type="button"
        className="danger"
        disabled={busy}
        onClick={() => {
          if (window.confirm(`Delete ${w.kind} ${w.metadata.name}?`)) void act(() => session.client.delete(w.kind, w.metadata.name, scope), () => navigate('workloads'));
        }}
      >
        Delete
      </button>
      {error && <ErrorBox>{error}</ErrorBox>}
    </div>
  );
}
