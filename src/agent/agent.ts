// The node agent: discovers the host, registers (or reuses its saved credential), heartbeats,
// watches the Allocations bound to its node and reconciles them with the replicas it runs.
// It talks to the control plane only through the HTTP client. Stopping the agent leaves its
// replicas running; the next agent started with the same state directory adopts them.
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { patchAllocationStatus, patchNodeStatus } from '../client/agent-api.js';
import { fetchImageDisk } from '../client/images.js';
import type { WeftClient } from '../client/client.js';
import type { AllocatedGpu } from '../model/kinds/allocation.js';
import type { Resource } from '../model/metadata.js';
import { parseFakeGpus } from './discovery/fake-gpus.js';
import { cgroupsV2Available, CGROUP_ROOT, discoverNvidiaGpus, hostCpuCores, hostMemoryBytes, sampleGpuUtilization } from './discovery/os.js';
import type { HostInventory } from './discovery/types.js';
import { DriverSet } from './drivers/driver-set.js';
import { ProcessDriver } from './drivers/process/process-driver.js';
import { ContainerDriver } from './drivers/container/container-driver.js';
import { withVfioHeldGpus } from './drivers/vm/held-gpus.js';
import { VmDriver } from './drivers/vm/vm-driver.js';
import { allocationUtilizationUpdates, startHeartbeat, utilizationMoved } from './heartbeat.js';
import { ConsoleAttacher } from './console.js';
import { startImageReport, type ImageReport } from './image-report.js';
import { nodeNetworks, syncNodeNetworks, type NodeNetworks } from './networks/node-networks.js';
import { adoptReplicas, reconcileOnce, type ReconcileContext } from './reconcile.js';
import { connect } from './register.js';
import { StateDir } from './state.js';
import { LeaseAgent, type LeaseAgentOptions } from './lease.js';

export const AGENT_VERSION = '0.1.0';
/** How often the agent looks for images pulled or removed by others (only while the engine is up). */
const IMAGE_REPORT_MS = 30_000;
/** Percentage points a GPU's utilisation must move before the Node's status is written again. */
const UTILIZATION_STEP = 5;
const LABEL_NODE = 'weft.dev/node';

export interface AgentOptions {
  server: string;
  /** One-time join token (or an admin token); not needed when the state dir holds a credential. */
  token?: string;
  /** With an admin token: replace an existing Node of this name. */
  replace?: boolean;
  name?: string;
  stateDir?: string;
  fakeGpus?: string;
  /** Address other replicas reach this host on (MASTER_ADDR, Service endpoints). */
  address?: string;
  heartbeatMs?: number;
  /** How often the agent looks at its replicas even when the server says nothing. */
  reconcileMs?: number;
  maxLogBytes?: number;
  /** Podman's API socket (e.g. /run/podman/podman.sock); default: drivers/container/podman.ts. */
  podmanSocket?: string;
  /** Host directories under which container replicas may mount Volumes. */
  volumeRoots?: string[];
  /** Leases: where accounts go (absent: real users) and the cleanup hook run at the end. */
  lease?: LeaseAgentOptions;
  log?: (msg: string) => void;
}

export interface RunningAgent {
  name: string;
  stateDir: string;
  stop(): Promise<void>;
  done: Promise<void>;
}

export function defaultStateDir(name: string): string {
  return resolve('.weft-agent', name);
}

export async function discoverInventory(nodeName: string, fakeGpus?: string, stateRoot?: string): Promise<HostInventory> {
  const base = { cpuCores: hostCpuCores(), memoryBytes: hostMemoryBytes() };
  if (fakeGpus) return { fake: true, ...base, gpus: parseFakeGpus(fakeGpus, nodeName) };
  const real = await discoverNvidiaGpus();
  // GPUs passed through to this node's VMs are invisible to nvidia-smi until they are given back.
  const gpus = stateRoot ? withVfioHeldGpus(real?.gpus ?? [], stateRoot) : (real?.gpus ?? []);
  return { fake: false, ...base, gpus, ...(real?.nvlink ? { nvlink: real.nvlink } : {}) };
}

/** Every driver this agent has; DriverSet.probe finds which of them this host can run. */
function hostDrivers(state: StateDir, cgroups: boolean, inventory: HostInventory, node: string, opts: Pick<AgentOptions, 'podmanSocket' | 'volumeRoots'>, onPulled: () => void, server: () => WeftClient | undefined, nets: NodeNetworks): [ProcessDriver, ContainerDriver, VmDriver] {
  // Uploaded Images come from the server with this node's credential (the client exists once registered).
  const fetchUpload = (path: string): Promise<Response> => {
    const client = server();
    if (!client) return Promise.reject(new Error('not connected to the server yet'));
    return fetchImageDisk(client, path);
  };
  return [
    new ProcessDriver(state, cgroups ? join(CGROUP_ROOT, 'weft') : undefined),
    new ContainerDriver(state, { owner: node, stateDir: state.root, volumeRoots: opts.volumeRoots ?? [], onPulled, ...(opts.podmanSocket ? { socket: opts.podmanSocket } : {}) }),
    new VmDriver(state, { stateRoot: state.root, gpus: inventory.fake ? [] : inventory.gpus, fetchUpload, ...(nets.networks ? { networks: nets.networks } : {}), ...(nets.unavailable ? { networksUnavailable: nets.unavailable } : {}) }),
  ];
}

export async function startAgent(opts: AgentOptions): Promise<RunningAgent> {
  const log = opts.log ?? ((m: string) => console.error(`[agent] ${m}`));
  const name = opts.name ?? hostname().split('.')[0]!.toLowerCase();
  const stateDir = resolve(opts.stateDir ?? defaultStateDir(name));
  const state = new StateDir(stateDir);
  const address = opts.address ?? '127.0.0.1';
  const inventory = await discoverInventory(name, opts.fakeGpus, state.root);
  const cgroups = cgroupsV2Available() ? 'v2' : 'unavailable';
  if (cgroups === 'unavailable') log('cgroups v2 is not available (or not delegated): replicas run without CPU and memory limits');
  let images: ImageReport | undefined;
  let connected: WeftClient | undefined;
  const nets = nodeNetworks(state, name, address, log);
  const own = hostDrivers(state, cgroups === 'v2', inventory, name, opts, () => images?.refresh(), () => connected, nets);
  const drivers = await DriverSet.probe(own);
  for (const [driver, cap] of Object.entries(drivers.capabilities)) if (!cap.available) log(`the ${driver} driver cannot run here: ${cap.reason}`);
  const abort = new AbortController();
  const status = {
    address,
    inventory,
    cgroups,
    drivers: drivers.capabilities,
    agent: { version: AGENT_VERSION, pid: process.pid, startedAt: new Date().toISOString() },
    lastHeartbeatTime: new Date().toISOString(),
  };
  const { client, registered } = await connect({ server: opts.server, name, joinToken: opts.token, replace: opts.replace, state, inventory, status, log, signal: abort.signal });
  connected = client;
  log(registered ? `registered node ${name}` : `reconnected as node ${name}`);
  if (registered) await patchNodeStatus(client, name, status).catch(() => undefined);
  if (drivers.capabilities.container?.available) {
    images = startImageReport({ list: (wake) => own[1].images(wake), send: (list) => patchNodeStatus(client, name, { images: list }), intervalMs: IMAGE_REPORT_MS, log });
  }

  const addresses = new Map<string, string>();
  const ctx: ReconcileContext = {
    client,
    state,
    drivers,
    node: name,
    address,
    maxLogBytes: opts.maxLogBytes ?? 8 * 1024 * 1024,
    log,
    nodeAddress: async (n) => {
      const cached = addresses.get(n);
      if (cached) return cached;
      const node = await client.get('Node', n).catch(() => undefined);
      const addr = (node?.status?.address as string | undefined) ?? '127.0.0.1';
      if (node) addresses.set(n, addr);
      return addr;
    },
    migUuid: (g: AllocatedGpu) => {
      const gpu = inventory.gpus.find((x) => x.index === g.index);
      return gpu?.migInstances?.find((m) => m.profile === g.mig?.profile && m.start === g.mig?.start)?.uuid;
    },
  };

  let reportedUtil: Record<string, number> | undefined;
  const heartbeat = startHeartbeat({
    client,
    node: name,
    intervalMs: opts.heartbeatMs ?? 10_000,
    changes: async () => {
      if (inventory.fake) return {};
      const util = await sampleGpuUtilization();
      // Best effort: each allocation's mean beside its phase, when it moved enough to say.
      for (const u of util ? allocationUtilizationUpdates(allocations.values(), name, util, UTILIZATION_STEP) : []) {
        void patchAllocationStatus(client, u.project, u.name, { gpuUtilization: u.gpuUtilization }).catch(() => undefined);
      }
      return util && utilizationMoved(reportedUtil, util, UTILIZATION_STEP) ? { gpuUtilization: util } : {};
    },
    reported: (changes) => {
      if (changes.gpuUtilization) reportedUtil = changes.gpuUtilization as Record<string, number>;
    },
    log,
  });

  await adoptReplicas(ctx);
  const allocations = new Map<string, Resource>();
  let synced = false;
  let running: Promise<void> | undefined;
  let again = false;
  const kick = (): void => {
    if (running) {
      again = true;
      return;
    }
    running = reconcileOnce(ctx, allocations, synced)
      .catch((err: unknown) => log(`reconcile: ${(err as Error).message}`))
      .then(() => (nets.networks && synced ? syncNodeNetworks(nets.networks, state, allocations) : undefined))
      .catch((err: unknown) => log(`tenant networks: ${(err as Error).message}`))
      .finally(() => {
        running = undefined;
        if (again && !abort.signal.aborted) {
          again = false;
          kick();
        }
      });
  };
  const timer = setInterval(kick, opts.reconcileMs ?? 1000);
  const leases = new LeaseAgent(client, name, address, opts.lease ?? {}, log);
  const leaseTimer = setInterval(() => void leases.tick().catch((e: unknown) => log(`lease: ${(e as Error).message}`)), opts.reconcileMs ?? 1000);
  const consoles = new ConsoleAttacher(client, drivers, name, log);
  const watchLoop = watchAllocations(client, name, abort.signal, (msg) => {
    if (msg.type === 'SYNC') {
      allocations.clear();
      for (const o of msg.objects) if (o.metadata.uid) allocations.set(o.metadata.uid, o);
      synced = true;
    } else if (msg.object.metadata.uid) {
      if (msg.type === 'DELETED') allocations.delete(msg.object.metadata.uid);
      else {
        allocations.set(msg.object.metadata.uid, msg.object);
        consoles.see(msg.object);
      }
    }
    kick();
  }, log);
  kick();

  const done = watchLoop.finally(() => {
    clearInterval(timer);
    clearInterval(leaseTimer);
    heartbeat.stop();
    images?.stop();
  });
  return {
    name,
    stateDir,
    stop: async () => {
      abort.abort();
      await done.catch(() => undefined);
      await running;
    },
    done,
  };
}

type WatchMsg = { type: 'SYNC'; objects: Resource[] } | { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: Resource };

/** Watches this node's allocations in every project; the client resumes or relists after outages. */
async function watchAllocations(
  client: WeftClient,
  node: string,
  signal: AbortSignal,
  onMessage: (m: WatchMsg) => void,
  log: (msg: string) => void,
): Promise<void> {
  while (!signal.aborted) {
    try {
      for await (const msg of client.watch('Allocation', { labelSelector: `${LABEL_NODE}=${node}`, signal, maxBackoffMs: 2000 })) onMessage(msg);
    } catch (err) {
      if (signal.aborted) return;
      log(`watch ended (${(err as Error).message}); retrying`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}
