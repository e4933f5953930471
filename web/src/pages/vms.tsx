// Virtual machines: every VM the user may see, live, with its state, node, addresses, GPUs and
// size; each links to its page (power buttons and the serial console).
import { useMemo } from 'react';
import type { Resource } from '../../../src/model/metadata.js';
import { ErrorBox, Loading, Phase } from '../components/common.js';
import { age, gpuRequest, phaseOf, status, str } from '../format.js';
import { useLive } from '../live.js';
import { href } from '../router.js';
import type { Session } from '../session.js';
import { memory, vcpus, vmAddresses } from '../vm.js';

export function Vms({ session }: { session: Session }) {
  const vms = useLive(session.client, 'virtualmachines');
  const rows = useMemo(
    () => [...vms.items].sort((a, b) => (a.metadata.project ?? '').localeCompare(b.metadata.project ?? '') || a.metadata.name.localeCompare(b.metadata.name)),
    [vms.items],
  );
  return (
    <section aria-labelledby="vms-title">
      <h1 id="vms-title">Virtual machines</h1>
      {vms.error && <ErrorBox>{vms.error}</ErrorBox>}
      {!vms.ready ? (
        <Loading what="virtual machines" />
      ) : rows.length === 0 ? (
        <p className="muted">No virtual machines you may see. Create one with <code>weft apply</code> (docs/vms.md).</p>
      ) : (
        <div className="table-wrap">
          <table data-testid="vms-table">
            <caption className="sr-only">Virtual machines by project and name</caption>
            <thead>
              <tr><th scope="col">Name</th><th scope="col">Project</th><th scope="col">State</th><th scope="col">Node</th><th scope="col">Addresses</th><th scope="col">GPUs</th><th scope="col">vCPUs</th><th scope="col">Memory</th><th scope="col">Age</th></tr>
            </thead>
            <tbody>
              {rows.map((vm) => <Row key={`${vm.metadata.project}/${vm.metadata.name}`} vm={vm} />)}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function Row({ vm }: { vm: Resource }) {
  const addresses = vmAddresses(vm);
  const node = str(status(vm).node);
  return (
    <tr data-testid={`vm-${vm.metadata.project}-${vm.metadata.name}`}>
      <td><a href={href('vms', vm.metadata.project ?? '', vm.metadata.name)}>{vm.metadata.name}</a></td>
      <td>{vm.metadata.project}</td>
      <td><Phase phase={phaseOf(vm)} /></td>
      <td>{node ? <a href={href('fleet', 'node', node)}>{node}</a> : '—'}</td>
      <td>{addresses.length > 0 ? addresses.join(', ') : '—'}</td>
      <td>{gpuRequest(vm)}</td>
      <td>{vcpus(vm)}</td>
      <td>{memory(vm)}</td>
      <td>{age(vm.metadata.creationTimestamp)}</td>
    </tr>
  );
}
