// One virtual machine: its state and where it runs, start / stop / restart (as `weft start|stop|
// restart vm` ask it, with the user's own rights; refusals shown), and its serial console in
// the browser while it runs.
import { lazy, Suspense, useState } from 'react';
import { setVmPower, type VmPower } from '../../../src/client/vm-power.js';
import type { Resource } from '../../../src/model/metadata.js';
import { ErrorBox, Loading, Phase } from '../components/common.js';
import { errorText, gpuRequest, obj, phaseOf, spec, status, str, time } from '../format.js';
import { useLive } from '../live.js';
import { href } from '../router.js';
import { canWrite, type Session } from '../session.js';
import { memory, vcpus, vmAddresses } from '../vm.js';

// xterm.js is most of the terminal's weight: fetched only when a console is shown.
const SerialTerminal = lazy(() => import('../components/serial-terminal.js').then((m) => ({ default: m.SerialTerminal })));

interface Props {
  session: Session;
  project: string;
  name: string;
}

export function VmDetail({ session, project, name }: Props) {
  const list = useLive(session.client, 'virtualmachines', { project, fieldSelector: `metadata.name=${name}` });
  const vm = list.items.find((i) => i.metadata.project === project && i.metadata.name === name);
  if (list.error) return <ErrorBox>{list.error}</ErrorBox>;
  if (!list.ready) return <Loading what={`virtual machine ${name}`} />;
  if (!vm) {
    return (
      <section>
        <h1>Virtual machine {name}</h1>
        <p>There is no virtual machine “{name}” in project {project} (or you may not see it). <a href={href('vms')}>Back to virtual machines</a></p>
      </section>
    );
  }
  const phase = phaseOf(vm);
  const st = status(vm);
  const addresses = vmAddresses(vm);
  return (
    <section aria-labelledby="vm-title">
      <p className="crumbs"><a href={href('vms')}>Virtual machines</a> / {project}</p>
      <div className="title-row">
        <h1 id="vm-title">Virtual machine {name}</h1>
        <span data-testid="vm-phase"><Phase phase={phase} /></span>
      </div>
      {canWrite(session, project) && <Power session={session} vm={vm} />}
      <dl className="facts">
        <dt>Node</dt><dd>{str(st.node) ?? '—'}</dd>
        <dt>Addresses</dt><dd data-testid="vm-addresses">{addresses.length > 0 ? addresses.join(', ') : '—'}</dd>
        <dt>GPUs</dt><dd>{gpuRequest(vm)}</dd>
        <dt>vCPUs / memory</dt><dd>{vcpus(vm)} / {memory(vm)}</dd>
        <dt>Image</dt><dd>{str(obj(spec(vm).rootDisk).image) ?? '—'}</dd>
        <dt>Run strategy</dt><dd>{str(spec(vm).runStrategy) ?? 'Always'}</dd>
        <dt>Accelerator</dt><dd>{str(st.accelerator) ?? '—'}</dd>
        <dt>Booted</dt><dd>{time(str(st.bootTime))}</dd>
      </dl>
      <h2>Serial console</h2>
      {phase === 'Running' ? (
        // Keyed by boot: a restarted VM gets a fresh console session.
        <Suspense fallback={<Loading what="the terminal" />}>
          <SerialTerminal key={str(st.bootTime) ?? ''} client={session.client} project={project} name={name} />
        </Suspense>
      ) : (
        <p className="muted">The console is there while the VM runs (it is {phase}). Its serial log: <code>weft logs vm {name} -p {project}</code>.</p>
      )}
    </section>
  );
}

const LABELS: Record<VmPower, string> = { start: 'Start', stop: 'Stop', restart: 'Restart' };

function Power({ session, vm }: { session: Session; vm: Resource }) {
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<{ error?: string; info?: string }>({});
  const act = async (want: VmPower): Promise<void> => {
    setBusy(true);
    setNote({});
    try {
      const sent = await setVmPower(session.client, vm, want);
      setNote(sent ? {} : { info: `Already ${want === 'stop' ? 'stopped' : 'running'}.` });
    } catch (err) {
      setNote({ error: errorText(err) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="actions">
      {(['start', 'stop', 'restart'] as const).map((want) => (
        <button key={want} type="button" className={want === 'stop' ? 'danger' : undefined} disabled={busy} onClick={() => void act(want)}>{LABELS[want]}</button>
      ))}
      {note.info && <span className="muted" role="status">{note.info}</span>}
      {note.error && <ErrorBox>{note.error}</ErrorBox>}
    </div>
  );
}
