// Turns an Allocation into what the supervisor runs: argv, environment (GPUs, identity,
// rendezvous), working directory and, for Services, a free host port passed as PORT.
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { AllocatedGpu, AllocationSpec } from '../model/kinds/allocation.js';
import type { Resource } from '../model/metadata.js';
import { replicaEnv, visibleDevices } from './driver/env.js';
import type { LaunchSpec } from './driver/supervisor.js';
import type { ReconcileContext } from './reconcile.js';

export interface TaskSpec {
  command?: string[];
  args?: string[];
  env?: { name: string; value: string }[];
  image?: string;
  port?: number;
  readinessPath?: string;
}

export interface RendezvousSpec {
  worldSize: number;
  masterNode: string;
  masterPort: number;
}

/** Spec fields the agent protocol adds to Allocation (task, rendezvous) on top of the schema's. */
type AgentAllocationSpec = AllocationSpec & { task?: TaskSpec; rendezvous?: RendezvousSpec };

/** Variables passed through from the agent's own environment; nothing else leaks (no tokens). */
const PASSTHROUGH = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'USER', 'LOGNAME', 'SHELL'];

/** A deterministic port in 29500–30499 from the gang's uid and attempt (matches the server's choice). */
export function defaultMasterPort(workloadUid: string, attempt: number): number {
  let h = 0x811c9dc5;
  for (const ch of `${workloadUid}:${attempt}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return 29500 + (h % 1000);
}

export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((done, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, host, () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? done(addr.port) : fail(new Error('no port'))));
    });
  });
}

export async function prepareLaunch(
  ctx: ReconcileContext,
  alloc: Resource,
  all: Map<string, Resource>,
): Promise<{ spec: Omit<LaunchSpec, 'cgroup'>; port?: number } | { error: string }> {
  const spec = alloc.spec as unknown as AgentAllocationSpec;
  const task = spec.task ?? {};
  const argv = [...(task.command ?? []), ...(task.args ?? [])];
  if (argv.length === 0) {
    return { error: task.image ? `the process driver cannot run image "${task.image}" without a command` : 'spec.task.command: nothing to run (the workload has no command)' };
  }
  const rv = spec.rendezvous;
  const masterNode = rv?.masterNode ?? ctx.node;
  const masterAddr = masterNode === ctx.node ? ctx.address : await ctx.nodeAddress(masterNode);
  // LOCAL_RANK: position among this gang's replicas bound to this node.
  const peersHere = [...all.values()]
    .map((a) => a.spec as unknown as AllocationSpec)
    .filter((s) => s.workload.uid === spec.workload.uid && s.attempt === spec.attempt && s.node === ctx.node)
    .map((s) => s.replica)
    .sort((a, b) => a - b);
  const localRank = Math.max(0, peersHere.indexOf(spec.replica));
  const wantsPort = spec.workload.kind === 'Service' || task.port !== undefined;
  const port = wantsPort ? await freePort() : undefined;
  const base: Record<string, string | undefined> = {};
  for (const k of PASSTHROUGH) base[k] = process.env[k];
  const env = replicaEnv({
    base,
    workloadEnv: task.env ?? [],
    id: {
      project: alloc.metadata.project ?? '',
      workloadKind: spec.workload.kind,
      workload: spec.workload.name,
      replica: spec.replica,
      attempt: spec.attempt,
      allocation: alloc.metadata.name,
      node: ctx.node,
    },
    devices: visibleDevices(spec.gpus, (g: AllocatedGpu) => ctx.migUuid?.(g)),
    rendezvous: {
      worldSize: rv?.worldSize ?? 1,
      masterAddr,
      masterPort: rv?.masterPort ?? defaultMasterPort(spec.workload.uid, spec.attempt),
      localRank,
    },
    ...(port !== undefined ? { port } : {}),
  });
  const cwd = join(ctx.state.replicaDir(alloc.metadata.uid!), 'work');
  mkdirSync(cwd, { recursive: true });
  return { spec: { command: argv, env, cwd, maxLogBytes: ctx.maxLogBytes }, ...(port !== undefined ? { port } : {}) };
}
