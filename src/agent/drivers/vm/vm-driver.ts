// The vm driver: runs a replica as a QEMU virtual machine. QEMU runs under the process driver's
// supervisor (in the replica's qemu/ folder), so it outlives the agent, its serial output is
// kept bounded, its exit is recorded, and a stop presses the ACPI power button (over QMP) with
// the grace before a hard kill. A restarted agent re-adopts it from the folder alone:
//
//   <replica dir>/vm.json          the launch (disk, cloud-init, NICs, env; 0600)
//                 vm-state.json    what was decided at boot: accelerator, SSH port, image size
//                 root.qcow2       copy-on-write overlay on the node's cached base image
//                 disk-<name>.qcow2, seed.iso (NoCloud), console.sock, qmp.sock, guest-status.log
//                 gpu-binding.json GPUs bound to vfio-pci and mdevs created (gpu-attach.ts), until undone
//                 qemu/            the supervisor's folder: launch.json, stdout.log (serial
//                                  console), stderr.log (second serial port, QEMU's messages), exit.json
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readJson, writeJsonAtomic } from '../../state.js';
import { freePort } from '../../launch.js';
import type { Driver, DriverCapability, ExitInfo, LogStream, ReplicaFolders, ReplicaLaunch, ReplicaState, VmReport } from '../driver.js';
import { ProcessDriver, SUPERVISOR_SCRIPT } from '../process/process-driver.js';
import { probeAccelerator, PROBE_TIMEOUT_MS, type AccelResult } from './accel.js';
import { ImageCache } from './image-cache.js';
import { macFor, qemuCommand, type QemuPlan, type VmNic } from './qemu-args.js';
import { findQemu, findQemuImg, qemuVersion } from './qemu-binary.js';
import { qmp } from './qmp.js';
import { writeSeed } from './seed.js';
import { deviceEnv } from '../env.js';
import type { GpuInventory } from '../../discovery/types.js';
import { attachGpus, checkPassthrough, GPU_RECORD, gpuRequestOf, releaseGpus } from './gpu-attach.js';
import { mdevTypes } from './mdev.js';
import { findTaskset } from './numa.js';
import { pinVcpus } from './vcpu-pin.js';
import { pciGpus } from './pci.js';
import { Sysfs } from './sysfs.js';
import type { TenantNetworks } from '../../networks/tenant-networks.js';

/** QEMU's user-mode network gives the first guest that asks this address. */
const USER_MODE_GUEST_IP = '10.0.2.15';
/** A guest that has written nothing by then is taken as up anyway. */
const GUEST_UP_AFTER_MS = 60_000;
const OWN_FILES = ['vm.json', 'vm-state.json', 'root.qcow2', 'seed.iso', 'console.sock', 'console.fifo', 'errors.fifo', 'qmp.sock', 'guest-status.log', 'qemu', GPU_RECORD];

export interface VmDriverOptions {
  /** The agent's state directory: the image cache lives in <root>/images. */
  stateRoot: string;
  supervisorScript?: string;
  qemu?: string;
  accelTimeoutMs?: number;
  /** sysfs (at /sys unless given another root): GPUs, IOMMU groups, NUMA nodes and mediated devices for passthrough. */
  sysfs?: Sysfs;
  /** The host's GPUs as discovered (their PCI bus ids say which device a GPU UUID is). */
  gpus?: GpuInventory[];
  /** Reads an uploaded Image's disk from the server's API path with the node's credential. */
  fetchUpload?: (path: string) => Promise<Response>;
  /** Bridges, VXLAN and dnsmasq for NICs on project Networks; absent: such a VM fails, saying why. */
  networks?: TenantNetworks;
  /** Why there are none (a tool missing), for the Node's report and the VM's error. */
  networksUnavailable?: string;
}

interface VmState extends VmReport {
  sshPort?: number;
  /** Each vCPU's host CPUs, for a guest with GPUs on two host NUMA nodes (or why not). */
  vcpuPins?: Record<number, string> | string;
}

export class VmDriver implements Driver {
  readonly name = 'vm' as const;
  readonly images: ImageCache;
  private readonly proc: ProcessDriver;
  private readonly qemu: string | undefined;
  private accel: AccelResult | undefined;
  private readonly preparing = new Map<string, Promise<void>>();
  private readonly sysfs: Sysfs;

  constructor(
    private readonly folders: ReplicaFolders,
    private readonly opts: VmDriverOptions,
  ) {
    this.qemu = opts.qemu ?? findQemu();
    this.images = new ImageCache(join(opts.stateRoot, 'images'), opts.fetchUpload);
    this.sysfs = opts.sysfs ?? new Sysfs();
    // QEMU's supervisor works in qemu/ inside the replica's folder, out of the process driver's sight.
    const inner: ReplicaFolders = { replicaDir: (uid) => join(folders.replicaDir(uid), 'qemu'), replicaUids: () => [] };
    this.proc = new ProcessDriver(inner, undefined, opts.supervisorScript ?? SUPERVISOR_SCRIPT);
  }

  async probe(): Promise<DriverCapability> {
    const gpus = pciGpus(this.sysfs);
    const types = mdevTypes(this.sysfs);
    const cap = await this.probeQemu();
    return gpus.length + types.length > 0 ? { ...cap, passthrough: { gpus, mdevTypes: types } } : cap;
  }

  private async probeQemu(): Promise<DriverCapability> {
    if (!this.qemu) return { available: false, reason: 'QEMU not installed (apt-get install qemu-system-x86 qemu-utils)' };
    if (!findQemuImg()) return { available: false, reason: 'qemu-img not installed (apt-get install qemu-utils)' };
    if (!existsSync('/usr/bin/genisoimage')) return { available: false, reason: 'genisoimage not installed (needed for cloud-init seeds; apt-get install genisoimage)' };
    const sup = await this.proc.probe();
    if (!sup.available) return sup;
    this.accel = await probeAccelerator(this.qemu, this.opts.accelTimeoutMs ?? PROBE_TIMEOUT_MS);
    const version = qemuVersion(this.qemu);
    const notes = [...(this.accel.note ? [this.accel.note] : []), ...(this.opts.networksUnavailable ? [`no project Networks on this node: ${this.opts.networksUnavailable}`] : [])];
    return { available: true, accelerator: this.accel.accelerator, ...(version ? { version } : {}), ...(notes.length > 0 ? { notes } : {}) };
  }

  async start(launch: ReplicaLaunch): Promise<void> {
    if (!launch.vm) throw new Error('the vm driver needs a VirtualMachine task (spec.task.vm)');
    writeJsonAtomic(join(this.dir(launch.uid), 'vm.json'), launch, 0o600);
    this.prepareInBackground(launch.uid);
  }

  async inspect(uid: string): Promise<ReplicaState> {
    const dir = this.dir(uid);
    const exit = readJson<ExitInfo>(join(dir, 'qemu', 'exit.json'));
    if (exit) return this.ended(uid, exit);
    if (existsSync(join(dir, 'qemu', 'spawn.json'))) {
      const st = await this.proc.inspect(uid);
      if (st.state === 'exited') return this.ended(uid, st.exit);
      if (st.state !== 'running') return st;
      if (!this.guestUp(uid, st.startedAt)) return { state: 'starting', message: 'Booting' };
      const vm = readJson<VmState>(join(dir, 'vm-state.json'));
      if (!vm) return st;
      const { sshPort: _port, vcpuPins: _pins, ...report } = vm;
      return { ...st, vm: report };
    }
    if (!existsSync(join(dir, 'vm.json'))) return { state: 'lost' };
    // Still preparing (here, or in an agent that died mid-way: prepare again, it is idempotent).
    if (!this.preparing.has(uid)) this.prepareInBackground(uid);
    const launch = readJson<ReplicaLaunch>(join(dir, 'vm.json'));
    const prog = launch?.vm ? this.images.progress.get(launch.vm.image.checksum) : undefined;
    if (!prog) return { state: 'starting', message: 'Preparing disks' };
    const pct = prog.total ? ` ${Math.floor((100 * prog.received) / prog.total)}%` : '';
    return { state: 'starting', message: `Downloading image${pct}` };
  }

  async stop(uid: string, graceMs: number): Promise<void> {
    if (existsSync(join(this.dir(uid), 'qemu', 'spawn.json'))) return this.proc.stop(uid, graceMs);
    this.endBeforeBoot(uid, { code: null, signal: 'SIGTERM', finishedAt: new Date().toISOString() });
  }

  async kill(uid: string): Promise<void> {
    if (existsSync(join(this.dir(uid), 'qemu', 'spawn.json'))) return this.proc.kill(uid);
    this.endBeforeBoot(uid, { code: null, signal: 'SIGKILL', finishedAt: new Date().toISOString() });
  }

  async readLog(uid: string, stream: LogStream, offset: number, maxBytes: number): Promise<Buffer> {
    return this.proc.readLog(uid, stream, offset, maxBytes);
  }

  async list(): Promise<string[]> {
    return this.folders.replicaUids().filter((uid) => existsSync(join(this.dir(uid), 'vm.json')));
  }

  async remove(uid: string): Promise<void> {
    const dir = this.dir(uid);
    releaseGpus(this.sysfs, dir);
    const launch = readJson<ReplicaLaunch>(join(dir, 'vm.json'));
    for (const d of launch?.vm?.disks ?? []) rmSync(join(dir, `disk-${d.name}.qcow2`), { force: true });
    for (const f of OWN_FILES) rmSync(join(dir, f), { recursive: true, force: true });
  }

  /** QEMU's own view of the guest (running, paused, shutdown, …), over QMP. */
  async guestStatus(uid: string): Promise<string> {
    const r = (await qmp(join(this.dir(uid), 'qmp.sock'), 'query-status')) as { status?: string };
    return r.status ?? 'unknown';
  }

  /** The serial console's socket, for an interactive attach. */
  consoleSocket(uid: string): string {
    return join(this.dir(uid), 'console.sock');
  }

  private dir(uid: string): string {
    return this.folders.replicaDir(uid);
  }

  /** The VM is over: its GPUs go back to the host (from the record, so also after an agent restart). */
  private ended(uid: string, exit: ExitInfo): ReplicaState {
    let released: ExitInfo = exit;
    try {
      releaseGpus(this.sysfs, this.dir(uid));
    } catch (err) {
      released = { ...exit, error: `${exit.error ? `${exit.error}; ` : ''}giving its GPUs back to the host failed: ${(err as Error).message}` };
    }
    return { state: 'exited', exit: this.withGuestExit(uid, released) };
  }

  private endBeforeBoot(uid: string, exit: ExitInfo): void {
    mkdirSync(join(this.dir(uid), 'qemu'), { recursive: true });
    if (!existsSync(join(this.dir(uid), 'qemu', 'exit.json'))) writeJsonAtomic(join(this.dir(uid), 'qemu', 'exit.json'), exit);
  }

  /**
   * Whether the guest is up, not only QEMU: it said so on the status port ("weft-ready"), or wrote
   * on its console, or QEMU has run for GUEST_UP_AFTER_MS (a guest that prints nothing). A stop
   * before that still presses the power button, but a guest with no handler yet cannot obey it.
   */
  private guestUp(uid: string, startedAt: string | undefined): boolean {
    const dir = this.dir(uid);
    if (startedAt !== undefined && Date.now() - Date.parse(startedAt) > GUEST_UP_AFTER_MS) return true;
    try {
      if (statSync(join(dir, 'qemu', 'stdout.log')).size > 0) return true;
    } catch {
      /* nothing written yet */
    }
    try {
      return readFileSync(join(dir, 'guest-status.log'), 'utf8').includes('weft-ready');
    } catch {
      return false;
    }
  }

  /** A clean power-off (QEMU exit 0) carries the guest's own exit status when it wrote one. */
  private withGuestExit(uid: string, exit: ExitInfo): ExitInfo {
    if (exit.code !== 0 || exit.error) return exit;
    let log: string;
    try {
      log = readFileSync(join(this.dir(uid), 'guest-status.log'), 'utf8');
    } catch {
      return exit;
    }
    const codes = [...log.matchAll(/weft-exit: (\d+)/g)];
    return codes.length > 0 ? { ...exit, code: Number(codes.at(-1)![1]) } : exit;
  }

  private prepareInBackground(uid: string): void {
    const p = this.prepare(uid)
      .catch((err: unknown) => this.endBeforeBoot(uid, { code: null, signal: null, finishedAt: new Date().toISOString(), error: (err as Error).message }))
      .finally(() => this.preparing.delete(uid));
    this.preparing.set(uid, p);
  }

  /** Base image, overlay, disks, seed, then QEMU under its supervisor. Safe to run again after a crash. */
  private async prepare(uid: string): Promise<void> {
    const dir = this.dir(uid);
    const launch = readJson<ReplicaLaunch>(join(dir, 'vm.json'));
    if (!launch?.vm) throw new Error('vm.json is missing or has no VM task');
    const vm = launch.vm;
    // A GPU that cannot be passed through fails the VM now, before a long image download.
    const gpuRequest = gpuRequestOf(launch.devices, this.opts.gpus ?? []);
    checkPassthrough(this.sysfs, gpuRequest);
    const base = await this.images.get(vm.image);
    if (existsSync(join(dir, 'qemu', 'exit.json'))) return; // stopped while the image came in
    const qemuImg = findQemuImg()!;
    const root = join(dir, 'root.qcow2');
    if (!existsSync(root)) {
      const size = vm.rootDiskBytes && vm.rootDiskBytes > base.sizeBytes ? [String(vm.rootDiskBytes)] : [];
      execFileSync(qemuImg, ['create', '-q', '-f', 'qcow2', '-F', vm.image.format, '-b', base.path, root, ...size], { stdio: ['ignore', 'ignore', 'pipe'] });
    }
    for (const d of vm.disks ?? []) {
      const path = join(dir, `disk-${d.name}.qcow2`);
      if (!existsSync(path)) execFileSync(qemuImg, ['create', '-q', '-f', 'qcow2', path, String(d.sizeBytes)], { stdio: ['ignore', 'ignore', 'pipe'] });
    }
    writeSeed(join(dir, 'seed.iso'), { instanceId: uid, hostname: vm.hostname, ...(vm.userData !== undefined ? { userData: vm.userData } : {}), ...(vm.sshKeys ? { sshKeys: vm.sshKeys } : {}), env: { ...launch.env, ...deviceEnv(launch.devices, launch.gpuShare) } });
    const accel = this.accel ?? (await probeAccelerator(this.qemu!, this.opts.accelTimeoutMs ?? PROBE_TIMEOUT_MS));
    const state: VmState = { accelerator: accel.accelerator, imageSizeBytes: base.sizeBytes };
    const nics: VmNic[] = [];
    const ips: string[] = [];
    for (const [i, n] of vm.networks.entries()) {
      if (n.network !== undefined) {
        if (n.vni === undefined || n.subnet === undefined || n.mac === undefined || n.ip === undefined) throw new Error(`NIC ${i} on Network ${n.network} came without its address (placed by an older server?)`);
        if (!this.opts.networks) throw new Error(`NIC ${i} on Network ${n.network}: this node cannot build tenant networks (${this.opts.networksUnavailable ?? 'not enabled'})`);
        const tap = await this.opts.networks.plug(uid, i, { network: n.network, vni: n.vni, subnet: n.subnet, mac: n.mac, ip: n.ip }, vm.hostname);
        nics.push({ tap, mac: n.mac });
        ips.push(n.ip);
        continue;
      }
      const sshPort = state.sshPort ?? (await freePort());
      state.sshPort = sshPort;
      nics.push({ userMode: { sshPort }, mac: macFor(uid, i) });
    }
    if (state.sshPort !== undefined) {
      state.sshAddress = `127.0.0.1:${state.sshPort}`;
      ips.push(USER_MODE_GUEST_IP);
    }
    if (ips.length > 0) state.ipAddresses = ips;
    const vcpus = Math.max(1, Math.round(launch.limits.cpuMilli / 1000));
    const memoryMiB = Math.max(128, Math.floor(launch.limits.memoryBytes / 2 ** 20) || 512);
    const gpus = attachGpus(this.sysfs, dir, gpuRequest, vcpus, memoryMiB);
    const taskset = findTaskset();
    if (gpus.cpuList && !taskset) throw new Error('taskset is not installed (apt-get install util-linux): cannot pin the VM to its GPUs\' NUMA node');
    const plan: QemuPlan = {
      name: vm.hostname,
      accelerator: accel.accelerator,
      vcpus,
      memoryMiB,
      vfio: gpus.vfio,
      mdevs: gpus.mdevs,
      ...(gpus.numa ? { numa: gpus.numa } : {}),
      ...(gpus.cpuList ? { cpuList: gpus.cpuList } : {}),
      ...(gpus.deviceNuma ? { deviceNuma: gpus.deviceNuma } : {}),
      disks: [
        { id: 'root', path: root, format: 'qcow2' },
        ...(vm.disks ?? []).map((d) => ({ id: `disk-${d.name}`, path: join(dir, `disk-${d.name}.qcow2`), format: 'qcow2' as const })),
        { id: 'seed', path: join(dir, 'seed.iso'), format: 'raw', readOnly: true },
      ],
      nics,
      consoleSocket: join(dir, 'console.sock'),
      consoleLog: join(dir, 'console.fifo'),
      errorLog: join(dir, 'errors.fifo'),
      qmpSocket: join(dir, 'qmp.sock'),
      statusFile: join(dir, 'guest-status.log'),
    };
    for (const f of [plan.consoleLog, plan.errorLog]) {
      rmSync(f, { force: true });
      execFileSync('mkfifo', ['-m', '0600', f]);
    }
    writeJsonAtomic(join(dir, 'vm-state.json'), state);
    if (existsSync(join(dir, 'qemu', 'exit.json'))) return;
    await this.proc.startSupervised(uid, { command: qemuCommand(this.qemu!, plan, taskset), env: {}, maxLogBytes: launch.maxLogBytes, limits: { cpuMilli: 0, memoryBytes: 0 }, qmpSocket: plan.qmpSocket, fifos: { stdout: plan.consoleLog, stderr: plan.errorLog } });
    // GPUs on two host nodes: each vCPU thread onto its own node's CPUs once QEMU runs (best effort:
    // unpinned, the threads still stay on the CPUs of the GPUs' nodes).
    if (gpus.numa && gpus.numa.length > 1 && gpus.nodeCpus && taskset) {
      const vcpuPins = await pinVcpus(plan.qmpSocket, gpus.numa, gpus.nodeCpus, taskset).catch((err: unknown) => `not pinned: ${(err as Error).message}`);
      writeJsonAtomic(join(dir, 'vm-state.json'), { ...state, vcpuPins });
    }
  }
}
