// The lease controller (leader-only, injected clock): a Lease's nodes through its window.
//
//   start    phase Active, Event Started: every other allocation on the leased nodes is asked to
//            stop with its grace (the scheduler already keeps new work off: the lease books the
//            nodes whole), and each node's status.lease tells its agent to create an account per
//            user with their SSH keys. The agents' reports (status.leaseAccess) become the lease's
//            status.access: how to connect.
//   end      (spec.end reached; an earlier spec.end releases early) phase Ending: status.lease
//            asks each agent to remove the accounts and run its cleanup hook (wipe scratch, reset
//            GPUs, check GPU health). Once every node reported, phase Ended: a node whose checks
//            passed returns to the pool; one that failed stays cordoned with the hook's reason.
import { isActiveAllocation } from '../../model/allocation-rules.js';
import { CORDON_REASON_ANNOTATION } from '../../model/annotations.js';
import type { AllocationSpec } from '../../model/kinds/allocation.js';
import type { LeaseSpec, NodeLease, NodeLeaseAccess } from '../../model/kinds/lease.js';
import type { BookingStatus } from '../../model/kinds/reservation.js';
import type { Resource } from '../../model/metadata.js';
import type { StoreTx } from '../../store/types.js';
import { recordEvent } from '../events.js';
import { graceOf, ownerKey, requestStop } from '../workloads/allocations.js';
import { phaseOf, windowOf } from './calendar-view.js';
import { PollingController, type PollingOptions } from '../polling.js';

export type LeaseControllerOptions = PollingOptions;

const SOURCE = 'lease-controller';
const idOf = (l: Resource): string => `${l.metadata.project ?? ''}/${l.metadata.name}`;
const nodesOf = (l: Resource): string[] => ((l.status?.booking as BookingStatus | undefined)?.nodes ?? []).map((n) => n.node);

export class LeaseController extends PollingController {
  constructor(opts: LeaseControllerOptions) {
    super(opts, 'leases', 2000);
  }

  async reconcileAll(): Promise<void> {
    const leases = (await this.opts.store.list('Lease')).items.filter((l) => phaseOf(l) !== 'Ended' && l.status?.booking);
    const now = this.clock.now();
    for (const l of leases) {
      if (windowOf(l).start > now.getTime()) continue;
      try {
        await this.opts.store.transaction((tx) => this.reconcile(tx, l, now));
      } catch (e) {
        this.log(`lease ${idOf(l)}: ${(e as Error).message}`);
      }
    }
  }

  private async reconcile(tx: StoreTx, stale: Resource, now: Date): Promise<void> {
    const l = await tx.get({ kind: 'Lease', project: stale.metadata.project, name: stale.metadata.name });
    if (!l || l.metadata.resourceVersion !== stale.metadata.resourceVersion) return;
    const spec = l.spec as unknown as LeaseSpec;
    const id = idOf(l);
    const ending = now.getTime() >= windowOf(l).end;
    const phase = phaseOf(l);
    const status: Record<string, unknown> = { ...(l.status ?? {}) };
    const nodes = await Promise.all(nodesOf(l).map(async (n) => [n, await tx.get({ kind: 'Node', name: n })] as const));
    if (phase === 'Pending') {
      status.phase = 'Active';
      status.startedAt = now.toISOString();
      const drained = await this.drain(tx, l, now);
      await recordEvent(tx, l, { type: 'Normal', reason: 'Started', message: `lease started on ${nodesOf(l).join(', ')}${drained.length ? `; drained ${drained.join(', ')}` : ''}`, source: SOURCE }, now);
    }
    const want: NodeLease['phase'] = ending || phase === 'Ending' ? 'Ending' : 'Active';
    if (want === 'Ending' && phase !== 'Ending') {
      status.phase = 'Ending';
      await recordEvent(tx, l, { type: 'Normal', reason: 'Ending', message: 'lease window over: accounts are being removed and the nodes cleaned and checked', source: SOURCE }, now);
    }
    // Tell each node's agent what to do, and read what it reported.
    const access: { node: string; connect: string[] }[] = [];
    const cleaned: { node: string; healthy: boolean; message: string }[] = [];
    for (const [name, node] of nodes) {
      if (!node) continue;
      const nodeLease: NodeLease = { lease: id, phase: want, users: spec.users };
      // A simulated node (the demo fleet) has no agent: it stands in for one that did everything.
      const simulated = (node.spec as { provider?: string }).provider === 'sim';
      const report = simulated ? simulatedAccess(id, want, spec) : (node.status?.leaseAccess as NodeLeaseAccess | undefined);
      const mine = report?.lease === id ? report : undefined;
      if (mine?.phase === 'Ready' && mine.connect) access.push({ node: name, connect: mine.connect });
      if (want === 'Ending' && mine?.phase === 'Cleaned') cleaned.push({ node: name, healthy: mine.healthy === true, message: mine.message ?? '' });
      if (JSON.stringify(node.status?.lease) !== JSON.stringify(nodeLease) && !(want === 'Ending' && mine?.phase === 'Cleaned')) {
        await tx.update({ ...node, status: { ...(node.status ?? {}), lease: nodeLease } }, { resourceVersion: node.metadata.resourceVersion });
      }
    }
    if (want === 'Active') status.access = access;
    if (want === 'Ending' && cleaned.length === nodes.filter(([, n]) => n).length) {
      for (const c of cleaned) await this.returnNode(tx, l, c, now);
      status.phase = 'Ended';
      status.endedAt = now.toISOString();
      status.access = [];
      status.cleanup = cleaned;
      const bad = cleaned.filter((c) => !c.healthy);
      const message = bad.length === 0 ? 'lease ended: accounts removed, nodes cleaned and healthy, back in the pool' : `lease ended: ${bad.map((c) => `${c.node} failed its checks (${c.message}) and stays cordoned`).join('; ')}`;
      await recordEvent(tx, l, { type: bad.length ? 'Warning' : 'Normal', reason: 'Ended', message, source: SOURCE }, now);
    }
    if (JSON.stringify(status) !== JSON.stringify(l.status ?? {})) await tx.update({ ...l, status }, { resourceVersion: l.metadata.resourceVersion });
  }

  /** Asks every allocation on the leased nodes to stop with its grace; returns the workloads drained. */
  private async drain(tx: StoreTx, l: Resource, now: Date): Promise<string[]> {
    const on = new Set(nodesOf(l));
    const drained = new Set<string>();
    for (const a of (await tx.list('Allocation')).items) {
      if (!isActiveAllocation(a) || !on.has((a.spec as unknown as AllocationSpec).node)) continue;
      const o = ownerKey(a);
      const w = await tx.get({ kind: o.kind, project: o.project, name: o.name });
      if (await requestStop(tx, a, `Drained for lease ${idOf(l)}`, now, graceOf(w ?? undefined))) drained.add(`${o.kind}/${o.project}/${o.name}`);
    }
    return [...drained];
  }

  /** Clears the node's lease; a node whose checks failed is cordoned with the hook's reason. */
  private async returnNode(tx: StoreTx, l: Resource, c: { node: string; healthy: boolean; message: string }, now: Date): Promise<void> {
    const node = await tx.get({ kind: 'Node', name: c.node });
    if (!node) return;
    const status = { ...(node.status ?? {}) };
    delete status.lease;
    const cordon = !c.healthy;
    const reason = `lease ${idOf(l)} cleanup failed: ${c.message || 'no reason given'}`;
    await tx.update(
      {
        ...node,
        metadata: cordon ? { ...node.metadata, annotations: { ...(node.metadata.annotations ?? {}), [CORDON_REASON_ANNOTATION]: reason } } : node.metadata,
        spec: cordon ? { ...node.spec, unschedulable: true } : node.spec,
        status,
      },
      { resourceVersion: node.metadata.resourceVersion },
    );
    if (cordon) await recordEvent(tx, node, { type: 'Warning', reason: 'Cordoned', message: reason, source: SOURCE }, now);
  }
}

/** What an agent would report, for a simulated node (labelled so: no real account exists). */
function simulatedAccess(lease: string, phase: NodeLease['phase'], spec: LeaseSpec): NodeLeaseAccess {
  return phase === 'Active'
    ? { lease, phase: 'Ready', connect: spec.users.map((u) => `ssh ${u.name}@<simulated node: no real account>`) }
    : { lease, phase: 'Cleaned', healthy: true, message: 'simulated node: nothing to clean' };
}
