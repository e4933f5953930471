// One pass of the agent's reconcile loop: compare the allocations the server binds to this node
// with the replicas recorded in the state directory, and close the gap.
//
//   server says Bound, no record          → claim a record, start the replica
//   record, replica running               → report Running (once), ship new output
//   stopRequested on the server           → the driver stops it: SIGTERM, grace, kill
//   record, replica exited                → ship the rest of the output, report the final phase
//   record, driver lost it (no exit)      → report Failed "lost: …" (never restart it)
//   server says terminal or deleted       → stop a replica still running, report nothing
//
// Status writes that fail (server unreachable) are retried on the next pass, because a record
// only remembers a phase once the server has accepted it.
import { patchAllocationStatus } from '../client/agent-api.js';
import type { WeftClient } from '../client/client.js';
import { WeftApiError } from '../client/errors.js';
import { allocationPhase, isActiveAllocation } from '../model/allocation-rules.js';
import type { AllocatedGpu, AllocationSpec } from '../model/kinds/allocation.js';
import type { Resource } from '../model/metadata.js';
import type { Driver, ReplicaState, VmReport } from './drivers/driver.js';
import type { DriverSet } from './drivers/driver-set.js';
import { gpuInUse } from './gpu-holders.js';
import { shipLogs } from './logs.js';
import { prepareLaunch } from './launch.js';
import type { ReplicaRecord, StateDir } from './state.js';

const DEFAULT_GRACE_S = 30;
export const LOST_MESSAGE = 'lost: process disappeared while the agent was down';

interface StopRequest {
  reason?: string;
  at?: string;
  graceSeconds?: number;
}

export interface ReconcileContext {
  client: WeftClient;
  state: StateDir;
  drivers: DriverSet;
  node: string;
  address: string;
  maxLogBytes: number;
  log: (msg: string) => void;
  /** Node addresses by name (for MASTER_ADDR), read through the client and cached. */
  nodeAddress: (name: string) => Promise<string>;
  /** The MIG device UUID holding an allocated slice, from the inventory. */
  migUuid?: (gpu: AllocatedGpu) => string | undefined;
}

const isUp = (state: string): boolean => state === 'running' || state === 'starting';
const phaseOf = allocationPhase;
const stopOf = (a: Resource): StopRequest | undefined => a.status?.stopRequested as StopRequest | undefined;
const specOf = (a: Resource): AllocationSpec => a.spec as unknown as AllocationSpec;
/** Records written before drivers had names are the process driver's. */
const driverOf = (ctx: ReconcileContext, rec: ReplicaRecord): Driver | undefined => ctx.drivers.get(rec.driver ?? 'process');

/** `allocations` is the server's view (by uid); `synced` says whether it is complete yet. */
export async function reconcileOnce(ctx: ReconcileContext, allocations: Map<string, Resource>, synced: boolean): Promise<void> {
  const records = new Map(ctx.state.records().map((r) => [r.uid, r]));
  // What replicas still up on this host hold, stale ones included (gpu-holders.ts).
  const held: AllocatedGpu[][] = [];
  for (const r of records.values()) if (!r.done && r.gpus && isUp((await inspect(ctx, r)).state)) held.push(r.gpus);
  for (const alloc of allocations.values()) {
    const uid = alloc.metadata.uid;
    if (!uid || records.has(uid) || specOf(alloc).node !== ctx.node || !isActiveAllocation(alloc)) continue;
    const busy = stopOf(alloc) ? undefined : gpuInUse(specOf(alloc).gpus, held);
    if (busy) {
      ctx.log(`allocation ${alloc.metadata.name}: waiting for GPU ${busy.index} to be released by a replica still running here`);
      continue; // a later pass starts it, once that replica has exited
    }
    await guard(ctx, alloc.metadata.name, () => startOrSettle(ctx, alloc, allocations));
    held.push(specOf(alloc).gpus);
  }
  for (const rec of ctx.state.records()) {
    if (rec.done) {
      // Finished and reported; once the server has forgotten the allocation, so can the node.
      if (synced && !allocations.has(rec.uid)) {
        await driverOf(ctx, rec)?.remove(rec.uid);
        ctx.state.remove(rec.uid);
      }
      continue;
    }
    const alloc = allocations.get(rec.uid);
    if (!alloc && !synced) continue; // not seen yet: wait for the full list before judging
    await guard(ctx, rec.allocation, () => advance(ctx, rec, alloc));
  }
}

async function guard(ctx: ReconcileContext, name: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    // One replica's trouble (or an outage) must not stop the others; the next pass retries.
    if (err instanceof WeftApiError && err.status < 500) ctx.log(`allocation ${name}: ${err.message}`);
  }
}

async function writeStatus(ctx: ReconcileContext, rec: { project: string; allocation: string }, patch: Record<string, unknown>): Promise<void> {
  await patchAllocationStatus(ctx.client, rec.project, rec.allocation, patch);
}

function endPhase(reason: string | undefined): 'Preempted' | 'Stopped' {
  return /preempt/i.test(reason ?? '') ? 'Preempted' : 'Stopped';
}

async function startOrSettle(ctx: ReconcileContext, alloc: Resource, all: Map<string, Resource>): Promise<void> {
  const spec = specOf(alloc);
  const target = { project: alloc.metadata.project ?? '', allocation: alloc.metadata.name };
  const now = new Date().toISOString();
  const stop = stopOf(alloc);
  if (stop) {
    // Never started here, so there is nothing to wind down.
    await writeStatus(ctx, target, { phase: endPhase(stop.reason), finishedAt: now, message: stop.reason ? `stopped before start: ${stop.reason}` : 'stopped before start' });
    return;
  }
  if (phaseOf(alloc) !== 'Bound') {
    // The server thinks it runs here, but this node has no record of it (state directory lost).
    await writeStatus(ctx, target, { phase: 'Failed', finishedAt: now, message: 'lost: the node has no record of this replica' });
    return;
  }
  const rec: ReplicaRecord = {
    uid: alloc.metadata.uid!,
    project: target.project,
    allocation: target.allocation,
    workload: spec.workload,
    replica: spec.replica,
    attempt: spec.attempt,
    createdAt: now,
    gpus: spec.gpus,
  };
  if (!ctx.state.claim(rec)) {
    // A folder without a record: an agent died between claiming and recording. It may have
    // started nothing or something; either way it must not start again.
    if (!ctx.state.records().some((r) => r.uid === rec.uid)) await writeStatus(ctx, target, { phase: 'Failed', finishedAt: now, message: LOST_MESSAGE });
    return;
  }
  const prepared = await prepareLaunch(ctx, alloc, all);
  if ('error' in prepared) {
    // Recorded as a start that never happened, so the next pass reports it like any other ending.
    ctx.state.saveRecord({ ...rec, startError: prepared.error });
    return;
  }
  // The record names the driver before anything starts, so a restarted agent asks the right one.
  ctx.state.saveRecord({ ...rec, driver: prepared.driver.name, ...(prepared.port !== undefined ? { port: prepared.port } : {}) });
  try {
    await prepared.driver.start(prepared.launch);
  } catch (err) {
    ctx.state.saveRecord({ ...rec, driver: prepared.driver.name, startError: (err as Error).message });
    return;
  }
  // Running is reported once the driver says the replica is up (next pass).
  ctx.log(`started ${target.project}/${target.allocation} (replica ${spec.replica}, attempt ${spec.attempt})`);
}

async function reportRunning(ctx: ReconcileContext, rec: ReplicaRecord, startedAt: string, pid?: number, vm?: VmReport): Promise<void> {
  const patch: Record<string, unknown> = { phase: 'Running', startedAt, message: 'started by the node agent' };
  if (pid !== undefined) patch.pid = pid;
  if (vm) patch.vm = vm;
  if (rec.port !== undefined) patch.endpoint = `http://${ctx.address}:${rec.port}`;
  await writeStatus(ctx, rec, patch);
  ctx.state.saveRecord({ ...rec, reportedPhase: 'Running' });
}

/** What became of a replica; one whose driver this agent lacks (or cannot run) is lost to it. */
async function inspect(ctx: ReconcileContext, rec: ReplicaRecord): Promise<ReplicaState> {
  if (rec.startError) return { state: 'exited', exit: { code: null, signal: null, finishedAt: rec.createdAt, error: rec.startError } };
  const driver = driverOf(ctx, rec);
  if (!driver) ctx.log(`${rec.project}/${rec.allocation}: the ${rec.driver ?? 'process'} driver that ran it is not available`);
  return driver ? driver.inspect(rec.uid) : { state: 'lost' };
}

async function advance(ctx: ReconcileContext, rec: ReplicaRecord, alloc: Resource | undefined): Promise<void> {
  const st = await inspect(ctx, rec);
  const driver = driverOf(ctx, rec);
  const serverActive = alloc !== undefined && isActiveAllocation(alloc);
  if (!serverActive) {
    // The server gave up on it (node marked lost, allocation deleted): it must not keep running.
    if (isUp(st.state)) {
      if (!rec.stopRequestedAt) {
        ctx.log(`stopping ${rec.project}/${rec.allocation}: the server no longer expects it here`);
        await driver?.stop(rec.uid, 5_000);
        ctx.state.saveRecord({ ...rec, stopRequestedAt: new Date().toISOString(), stopReason: 'allocation no longer active' });
      } else if (Date.now() - Date.parse(rec.stopRequestedAt) > 15_000) await driver?.kill(rec.uid);
      return;
    }
    await shipLogs(ctx.client, ctx.state, rec, driver, true).catch(() => false);
    ctx.state.saveRecord({ ...rec, done: true });
    return;
  }
  const stop = stopOf(alloc);
  // A replica still starting (an image pull) is stopped too: it must not come up first.
  if (stop && !rec.stopRequestedAt && isUp(st.state)) {
    const grace = (stop.graceSeconds ?? DEFAULT_GRACE_S) * 1000;
    await driver?.stop(rec.uid, grace);
    rec.stopRequestedAt = new Date().toISOString();
    rec.stopReason = stop.reason ?? 'stop requested';
    ctx.state.saveRecord(rec);
    await writeStatus(ctx, rec, { phase: 'Stopping' });
    ctx.state.saveRecord({ ...rec, reportedPhase: 'Stopping' });
    return;
  }
  if (rec.stopRequestedAt && st.state === 'running') {
    const grace = (stop?.graceSeconds ?? DEFAULT_GRACE_S) * 1000;
    if (Date.now() - Date.parse(rec.stopRequestedAt) > grace + 5_000) await driver?.kill(rec.uid);
  }
  if (st.state === 'running') {
    if (rec.reportedPhase !== 'Running' && rec.reportedPhase !== 'Stopping' && phaseOf(alloc) === 'Bound') {
      await reportRunning(ctx, rec, st.startedAt ?? rec.createdAt, st.pid, st.vm);
    }
    await shipLogs(ctx.client, ctx.state, rec, driver, false).catch(() => false);
    return;
  }
  if (st.state === 'starting') {
    // What it waits for ("Pulling image 42%"), written when it changes.
    if (st.message && st.message !== rec.startingMessage && phaseOf(alloc) === 'Bound') {
      await writeStatus(ctx, rec, { message: st.message });
      ctx.state.saveRecord({ ...rec, startingMessage: st.message });
    }
    return;
  }
  if (!(await shipLogs(ctx.client, ctx.state, rec, driver, true).catch(logsUnavailable))) return;
  const finishedAt = st.state === 'exited' ? st.exit.finishedAt : new Date().toISOString();
  const reason = stop?.reason ?? rec.stopReason;
  let patch: Record<string, unknown>;
  if (st.state === 'lost') patch = { phase: 'Failed', finishedAt, message: LOST_MESSAGE };
  else if (st.exit.error && st.exit.reason) patch = { phase: 'Failed', finishedAt, reason: st.exit.reason, message: st.exit.error };
  else if (st.exit.error) patch = { phase: 'Failed', finishedAt, message: `could not start: ${st.exit.error}` };
  else if (rec.stopRequestedAt || stop) patch = { phase: endPhase(reason), finishedAt, exitCode: st.exit.code, message: reason ? `stopped: ${reason}` : 'stopped' };
  else if (st.exit.reason === 'OOMKilled') patch = { phase: 'Failed', finishedAt, exitCode: st.exit.code ?? 137, reason: 'OOMKilled', message: `OOMKilled: it went over its memory limit (exit code ${st.exit.code ?? 137})` };
  else if (st.exit.code === 0) patch = { phase: 'Succeeded', finishedAt, exitCode: 0, message: 'exited with code 0' };
  else {
    const how = st.exit.signal ? `killed by ${st.exit.signal}` : `exited with code ${st.exit.code}`;
    patch = { phase: 'Failed', finishedAt, exitCode: st.exit.code ?? 128, message: how };
  }
  await writeStatus(ctx, rec, patch);
  ctx.state.saveRecord({ ...rec, reportedPhase: patch.phase as string, done: true });
  ctx.log(`${rec.project}/${rec.allocation}: ${patch.phase as string} (${patch.message as string})`);
}

/** A server without the logs route (404) must not hold back the final status forever. */
function logsUnavailable(err: unknown): boolean {
  if (err instanceof WeftApiError && (err.status === 404 || err.status === 405)) return true;
  throw err;
}

/**
 * At agent start: every replica a driver still holds is either re-adopted (it has a record, and
 * the reconcile passes carry on with it) or an orphan whose record is gone: it is reported lost,
 * the server reschedules it elsewhere, so it must not keep running here.
 */
export async function adoptReplicas(ctx: ReconcileContext): Promise<void> {
  const records = new Set(ctx.state.records().map((r) => r.uid));
  let adopted = 0;
  for (const driver of ctx.drivers.available()) {
    for (const uid of await driver.list()) {
      if (records.has(uid)) {
        adopted++;
        continue;
      }
      // Its folder stays: it is what keeps the allocation from ever being started here again.
      ctx.log(`stopping replica ${uid} (${driver.name}): this node has no record of it`);
      await driver.kill(uid);
      await driver.remove(uid).catch(() => undefined);
    }
  }
  if (adopted > 0) ctx.log(`re-adopted ${adopted} replica(s) from the state directory`);
}
