// The VirtualMachine controller: one replica that runs while its runStrategy says so.
//   Pending ──bound──▶ Scheduled ──agent: QEMU up──▶ Running
//   Running ──guest powered off──▶ Always: Pending (attempt+1); RerunOnFailure, Manual: Stopped
//   Running ──QEMU failed / node lost──▶ Always, RerunOnFailure: Pending after backoff; Manual: Failed
//   any ──runStrategy Halted (weft stop vm), Manual power Off──▶ Stopping (ACPI, grace) ──▶ Stopped
//   Stopped/Failed ──wanted running again (weft start vm)──▶ Pending (attempt+1)
//   any ──weft.dev/restart-requested changed (weft restart vm)──▶ stop, then Pending (attempt+1)
// The Image is resolved on every pass until the VM is placed, so creating it later unblocks the VM.
import type { VirtualMachineSpec } from '../../model/kinds/virtual-machine.js';
import { RESTART_ANNOTATION, vmWantsRunning } from '../../model/kinds/virtual-machine.js';
import type { Resource } from '../../model/metadata.js';
import type { StoreTx } from '../../store/types.js';
import { allocSpec, attemptOf, isActive, phaseOf } from './allocations.js';
import { applyDecision, type WorkloadEvent } from './apply.js';
import { backoffDelayMs, parseTime } from './backoff.js';
import { readConditions, setCondition, type Condition } from './conditions.js';
import type { PassResult } from './reconciler.js';
import { vmAttempt } from './vm-adapter.js';
import { awaitingUpload, recordImageCached, resolveImage, type ResolvedImage } from './vm-image.js';

/** What the node agent reports about a running VM on its Allocation's status.vm. */
interface VmReport {
  ipAddresses?: string[];
  sshAddress?: string;
  imageSizeBytes?: number;
  accelerator?: string;
}

const RUNNING_FIELDS = ['node', 'bootTime', 'ipAddresses', 'sshAddress', 'consoleUrl', 'accelerator', 'placement'];

export function vmConsoleUrl(vm: Resource): string {
  return `/api/v1/projects/${vm.metadata.project ?? ''}/virtualmachines/${vm.metadata.name}/console`;
}

export async function reconcileVirtualMachine(tx: StoreTx, vm: Resource, allocs: Resource[], now: Date): Promise<PassResult> {
  const spec = vm.spec as unknown as VirtualMachineSpec;
  const st: Record<string, unknown> = { ...(vm.status ?? {}) };
  const phase = typeof st.phase === 'string' ? st.phase : 'Pending';
  const attempt = vmAttempt(vm);
  const failures = typeof st.failures === 'number' ? st.failures : 0;
  const strategy = spec.runStrategy ?? 'Always';
  const want = vmWantsRunning(spec, vm.metadata.annotations);
  const restart = vm.metadata.annotations?.[RESTART_ANNOTATION];
  st.phase = phase;
  st.attempt = attempt;
  st.runStrategy = strategy;
  const iso = now.toISOString();
  const stops: { alloc: Resource; reason: string }[] = [];
  const events: WorkloadEvent[] = [];
  let conditions: Condition[] = readConditions(vm.status);
  let requeueAt: Date | undefined;
  const active = allocs.filter(isActive);
  const alloc = allocs.filter((a) => attemptOf(a) === attempt).at(-1);
  const clearRunning = (): void => {
    for (const f of RUNNING_FIELDS) delete st[f];
  };
  const requeue = (reason: string, message: string, type: 'Normal' | 'Warning' = 'Normal'): void => {
    st.phase = 'Pending';
    st.attempt = attempt + (allocs.some((a) => attemptOf(a) >= attempt) ? 1 : 0);
    st.pendingSince = iso;
    clearRunning();
    conditions = setCondition(conditions, { type: 'Ready', status: 'False', reason }, now);
    events.push({ type, reason, message });
  };

  if (phase === 'Pending') {
    const found = await resolveImage(tx, vm.metadata.project ?? '', spec.rootDisk.image);
    const waiting = found !== undefined && (await awaitingUpload(tx, found));
    const image = waiting ? undefined : found;
    if (image) st.image = image;
    else delete st.image;
    conditions = setCondition(
      conditions,
      image
        ? { type: 'ImageReady', status: 'True', reason: 'Resolved', message: `${image.project}/${image.name}` }
        : waiting
          ? { type: 'ImageReady', status: 'False', reason: 'ImageNotUploaded', message: `Image "${spec.rootDisk.image}" waits for its disk: weft image upload ${spec.rootDisk.image} --file …` }
          : { type: 'ImageReady', status: 'False', reason: 'ImageNotFound', message: `Image "${spec.rootDisk.image}" is neither in project "${vm.metadata.project ?? ''}" nor public` },
      now,
    );
  }
  for (const a of active) if (attemptOf(a) !== attempt) stops.push({ alloc: a, reason: 'AttemptSuperseded' });
  const restartAsked = restart !== undefined && restart !== st.restartHandled;
  if (restartAsked) st.restartHandled = restart;

  if (!want) {
    delete st.nextRetryTime;
    for (const a of active) stops.push({ alloc: a, reason: strategy === 'Halted' ? 'Halted' : 'PoweredOff' });
    const next = active.length > 0 ? 'Stopping' : 'Stopped';
    st.stoppedBy = 'runStrategy';
    if (next !== phase) {
      st.phase = next;
      if (next === 'Stopped') clearRunning();
      conditions = setCondition(conditions, { type: 'Ready', status: 'False', reason: next }, now);
      if (next === 'Stopping' || phase !== 'Stopping') events.push({ type: 'Normal', reason: next, message: next === 'Stopping' ? 'powering down (ACPI) within the grace period' : 'stopped' });
      else events.push({ type: 'Normal', reason: 'Stopped', message: 'powered down' });
    }
  } else if (restartAsked && alloc && isActive(alloc)) {
    stops.push({ alloc, reason: 'Restart' });
    requeue('Restarting', 'restart requested: powering down, then starting again');
  } else if (phase === 'Stopped' || phase === 'Stopping' || phase === 'Failed') {
    // Stopped by its runStrategy: wanted again now. Powered off by the guest, or failed: only on request.
    if (st.stoppedBy === 'runStrategy' || restartAsked) {
      delete st.stoppedBy;
      requeue('Starting', 'starting');
    }
  } else if (phase === 'Pending') {
    const retry = parseTime(st.nextRetryTime);
    if (retry !== undefined) {
      if (now.getTime() >= retry) delete st.nextRetryTime; // the write wakes the scheduling loop
      else requeueAt = new Date(retry);
    }
  } else if (alloc) {
    const p = phaseOf(alloc);
    const report = (alloc.status?.vm ?? {}) as VmReport;
    const node = allocSpec(alloc).node;
    if (p === 'Failed' || p === 'Lost') {
      const what = p === 'Lost' ? 'lost with its node' : `failed: ${String(alloc.status?.message ?? 'QEMU ended with an error')}`;
      if (strategy === 'Manual') {
        st.phase = 'Failed';
        clearRunning();
        conditions = setCondition(conditions, { type: 'Ready', status: 'False', reason: 'Failed' }, now);
        events.push({ type: 'Warning', reason: 'Failed', message: `the VM ${what}; start it again with weft start vm` });
      } else {
        st.failures = failures + 1;
        st.nextRetryTime = new Date(now.getTime() + backoffDelayMs(failures)).toISOString();
        requeue('Restarting', `the VM ${what}; restarting at ${st.nextRetryTime}`, 'Warning');
      }
    } else if (p === 'Succeeded') {
      if (strategy === 'Always') requeue('Restarting', 'the guest powered off; runStrategy Always starts it again');
      else {
        st.phase = 'Stopped';
        st.stoppedBy = 'guest';
        clearRunning();
        conditions = setCondition(conditions, { type: 'Ready', status: 'False', reason: 'PoweredOff' }, now);
        events.push({ type: 'Normal', reason: 'Stopped', message: 'the guest powered off' });
      }
    } else if (p === 'Preempted' || p === 'Stopped') {
      requeue('Requeued', `the VM was ${p.toLowerCase()}; waiting for placement`, 'Warning');
    } else if (p === 'Running') {
      if (phase !== 'Running') {
        conditions = setCondition(conditions, { type: 'Ready', status: 'True', reason: 'Running' }, now);
        events.push({ type: 'Normal', reason: 'Running', message: `running on ${node}` });
      }
      st.phase = 'Running';
      st.node = node;
      st.bootTime = typeof alloc.status?.startedAt === 'string' ? alloc.status.startedAt : (st.bootTime ?? iso);
      st.consoleUrl = vmConsoleUrl(vm);
      if (report.ipAddresses) st.ipAddresses = report.ipAddresses;
      if (report.sshAddress) st.sshAddress = report.sshAddress;
      if (report.accelerator) st.accelerator = report.accelerator;
      delete st.failures;
      if (st.image) await recordImageCached(tx, st.image as ResolvedImage, node, report.imageSizeBytes);
    }
  }
  st.conditions = conditions;
  const changed = await applyDecision(tx, vm, { status: st, stops, events }, now);
  return { changed, ...(requeueAt ? { requeueAt } : {}) };
}
