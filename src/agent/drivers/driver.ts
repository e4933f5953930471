// The Driver interface: how the agent runs one replica on this host, whatever the replica is (a
// host process today; a container or a virtual machine next). The agent decides *what* runs
// (reconcile.ts: claim once, report, ship logs); a driver only knows *how*. Every driver passes
// the shared contract suite in contract/, written about behaviour, not about processes.
//
// A replica is named by its allocation's uid. The driver may keep what it needs in the replica's
// folder (ReplicaFolders.replicaDir(uid)), which the agent has claimed before `start`, so a new
// agent process (a restart) finds and re-adopts what the previous one started.

import type { VmTask } from '../../model/kinds/virtual-machine.js';
import type { MdevType } from './vm/mdev.js';
import type { PciGpu } from './vm/pci.js';

export const DRIVER_NAMES = ['process', 'container', 'vm'] as const;
export type DriverName = (typeof DRIVER_NAMES)[number];

/** Whether this host can run a driver, and if not, why (e.g. "podman not installed"). */
export interface DriverCapability {
  available: boolean;
  reason?: string;
  /** The engine's version, when it has one worth reporting. */
  version?: string;
  /** How VMs are run here: KVM, or TCG (emulation) when KVM is missing or does not work. */
  accelerator?: 'kvm' | 'tcg';
  /** What an operator should know although the driver works (limits it had to work around). */
  notes?: string[];
  /** The host's GPUs for VMs: whether each can be passed through whole and why not, and mediated-device types. */
  passthrough?: { gpus: PciGpu[]; mdevTypes: MdevType[] };
}

export interface ReplicaLaunch {
  /** The allocation's uid: the replica's name for the driver. */
  uid: string;
  /** argv: the program and its arguments on the host, or the command inside the image. */
  command: string[];
  /** An OCI image (container) or disk image (vm); a process replica has none. */
  image?: string;
  /** The replica's own environment (workload variables, identity, rendezvous, PORT). */
  env: Record<string, string>;
  /**
   * GPU and MIG device ids (UUIDs; indices when the inventory has none) the replica may use, and
   * no others; empty hides every GPU. The driver makes exactly these visible.
   */
  devices: string[];
  /** A time-sliced share: the fraction (0–1) of the one device in `devices` it was granted. */
  gpuShare?: number;
  limits: { cpuMilli: number; memoryBytes: number };
  /** Bytes of output kept per stream; beyond it one marker line and nothing more. */
  maxLogBytes: number;
  /** What only a container has (the container driver reads it; others ignore it). */
  container?: ContainerLaunch;
  /** What only a virtual machine has: its disk, cloud-init and NICs (the vm driver reads it). */
  vm?: VmTask;
}

/** What a vm replica reports once it runs (written to the Allocation's status.vm). */
export interface VmReport {
  accelerator: 'kvm' | 'tcg';
  ipAddresses?: string[];
  /** host:port where the guest's SSH is forwarded (user-mode networking). */
  sshAddress?: string;
  imageSizeBytes?: number;
}

/** A container replica's own settings, from the Allocation's task. */
export interface ContainerLaunch {
  /** Replaces the image's ENTRYPOINT (the workload's `command`). */
  entrypoint?: string[];
  /** Replaces the image's CMD (the workload's `args`). */
  args?: string[];
  pullPolicy?: 'IfNotPresent' | 'Always' | 'Never';
  workingDir?: string;
  shmSizeBytes?: number;
  /** Host directories to mount (the project's Volumes), each read-only or read-write. */
  volumes?: { name: string; hostPath: string; mountPath: string; readOnly: boolean }[];
  /** Credentials for the registries the image may come from (from imagePullSecrets). */
  registryAuth?: { username: string; password: string; serveraddress: string }[];
}

export interface ExitInfo {
  /** The exit code; null when a signal ended it or it never ran. */
  code: number | null;
  signal: string | null;
  finishedAt: string;
  /** Why it never ran (no such program, no such image), if so. */
  error?: string;
  /** A short machine-readable cause, when the driver knows one: ImagePullFailed, OOMKilled. */
  reason?: string;
}

export type ReplicaState =
  /** Not up yet; `message` says what it waits for ("Pulling image 42%"). */
  | { state: 'starting'; message?: string }
  | { state: 'running'; pid?: number; startedAt?: string; vm?: VmReport }
  | { state: 'exited'; exit: ExitInfo }
  /** Gone without an exit status (its supervisor or engine lost it): never restarted. */
  | { state: 'lost' };

export type LogStream = 'stdout' | 'stderr';

export interface Driver {
  readonly name: DriverName;
  /** What this host offers this driver; cheap enough to call at agent start. */
  probe(): Promise<DriverCapability>;
  /** Starts a replica whose folder the agent has just claimed. Returns once it is under way. */
  start(launch: ReplicaLaunch): Promise<void>;
  inspect(uid: string): Promise<ReplicaState>;
  /** Asks the replica to end (SIGTERM or its kind's equivalent), and kills it after graceMs. */
  stop(uid: string, graceMs: number): Promise<void>;
  /** Ends the replica now. */
  kill(uid: string): Promise<void>;
  /**
   * Up to maxBytes of the replica's output from byte offset `offset` (fewer at the end): the log
   * as a stream the agent reads at its own pace, resuming from what the server acknowledged.
   */
  readLog(uid: string, stream: LogStream, offset: number, maxBytes: number): Promise<Buffer>;
  /** Replicas this driver started on this host that still exist, by uid (across agent restarts). */
  list(): Promise<string[]>;
  /** Forgets a replica that has ended: frees what the driver holds for it. */
  remove(uid: string): Promise<void>;
}

/** Where drivers keep per-replica files: the agent's state directory. */
export interface ReplicaFolders {
  replicaDir(uid: string): string;
  replicaUids(): string[];
}
