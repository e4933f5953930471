// The container driver: runs a replica from an OCI image with Podman (podman.ts), rootful,
// host networking (gang members reach MASTER_ADDR:MASTER_PORT on the host's address, and NCCL
// sees the host's interfaces). The replica's folder holds what a restarted agent needs:
//
//   <replica dir>/container.json   the launch (argv, env, image, settings; 0600)
//                 created.json     the container's id, written once it exists: from then on the
//                                  replica is never created again, whatever happens
//                 exit.json        how it ended (also when it never ran: ImagePullFailed, …)
//                 stop.json        {graceMs, at}: a stop was asked for
//                 container.log    conmon's k8s-file log; stdout.log, stderr.log split from it
//
// Containers are named weft-<allocation uid> and labelled with it and with their owner (the
// node), so list() finds them after a restart and the agent removes those it has no record of.
import { existsSync, rmSync } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import type Docker from 'dockerode';
import { readJson, writeJsonAtomic } from '../../state.js';
import type { Driver, DriverCapability, ExitInfo, LogStream, ReplicaFolders, ReplicaLaunch, ReplicaState } from '../driver.js';
import { deviceEnv } from '../env.js';
import { readFrom } from '../files.js';
import { CONTAINER_LOG, splitContainerLog } from './container-log.js';
import { engineProblem } from './engine-errors.js';
import { ImagePuller, ImagePullError, type PullOptions } from './image-pull.js';
import { canRaiseLimits, connectPodman, hostUlimits, podmanInfo, SERVICE_IDLE_S, type PodmanEndpoint, type PodmanOptions } from './podman.js';
import { cdiKinds, gpuDevices, NVIDIA_CDI_KIND } from './gpu-devices.js';
import { kernelLogsOomKill } from './oom.js';
import { nodeImagesOf } from './node-images.js';
import type { NodeImage } from '../../../model/node-images.js';

export const LABEL_UID = 'weft.dev/allocation-uid';
export const LABEL_OWNER = 'weft.dev/owner';
const OWN_FILES = ['container.json', 'created.json', 'exit.json', 'stop.json', CONTAINER_LOG, 'log-cursor.json', 'stdout.log', 'stderr.log'];
/** A stopped container still running this long after its grace is killed by the agent itself. */
const ESCALATE_AFTER_MS = 2_000;
/** Engine states after which the container's process is gone. */
const ENDED = new Set(['exited', 'stopped', 'dead', 'removing']);

interface Saved {
  launch: ReplicaLaunch;
  image: string;
}

export interface ContainerDriverOptions extends Omit<PodmanOptions, 'stateDir'> {
  /** Who owns the containers (the node's name): several agents may share one engine. */
  owner: string;
  /** The agent's state directory: where it runs a Podman service of its own if it must. */
  stateDir: string;
  pull?: PullOptions;
  /** The CDI device kind of GPUs (nvidia.com/gpu) and where specs live (tests use their own). */
  cdiKind?: string;
  cdiDirs?: string[];
  /**
   * Host directories under which Volumes may be mounted (--volume-root). A Volume's path is a
   * project's word; only the node's operator says which host paths containers may reach.
   */
  volumeRoots?: string[];
  /** Called after a pull brought an image here (the Node's image list is then out of date). */
  onPulled?: () => void;
}

const isMissing = (err: unknown): boolean => (err as { statusCode?: number }).statusCode === 404;
/** The engine's message from a failed API call (its JSON body says more than the status). */
function engineMessage(err: unknown): string {
  const json = (err as { json?: { message?: string } }).json;
  return json?.message ?? (err as Error).message;
}

export class ContainerDriver implements Driver {
  readonly name = 'container' as const;
  private endpoint?: PodmanEndpoint;
  private puller?: ImagePuller;
  private usedAt = 0;
  /** Replicas this process is bringing up (pull, create, start), by uid. */
  private readonly starting = new Map<string, Promise<void>>();

  constructor(
    private readonly folders: ReplicaFolders,
    private readonly opts: ContainerDriverOptions,
  ) {}

  private async engine(): Promise<Docker> {
    // A service of our own ends when idle: after a quiet spell, check it still answers.
    if (this.endpoint && Date.now() - this.usedAt < (SERVICE_IDLE_S * 1000) / 2) {
      this.usedAt = Date.now();
      return this.endpoint.docker;
    }
    if (this.endpoint && (await this.endpoint.docker.ping().then(() => true, () => false))) {
      this.usedAt = Date.now();
      return this.endpoint.docker;
    }
    const ep = await connectPodman(this.opts);
    if ('error' in ep) throw new Error(ep.error);
    this.endpoint = ep;
    this.usedAt = Date.now();
    this.puller ??= new ImagePuller(ep.docker, this.opts.pull);
    return ep.docker;
  }

  /**
   * The images on this node (node-images.ts). With `wake` false, only while the engine is up
   * anyway: a look at the images must not keep a Podman service of the agent's own alive.
   */
  async images(wake: boolean): Promise<NodeImage[] | undefined> {
    const warm = this.endpoint !== undefined && (this.endpoint.servicePid === undefined || Date.now() - this.usedAt < (SERVICE_IDLE_S * 1000) / 2);
    if (!wake && !warm) return undefined;
    return nodeImagesOf(await (await this.engine()).listImages());
  }

  async probe(): Promise<DriverCapability> {
    let docker: Docker;
    try {
      docker = await this.engine();
    } catch (err) {
      return { available: false, reason: (err as Error).message };
    }
    const info = await podmanInfo(docker);
    const runtime = info.host.ociRuntime?.name ?? 'unknown';
    if (runtime === 'crun' && info.host.cgroupVersion === 'v1') {
      return { available: false, reason: "podman's runtime crun cannot run containers on this host's cgroup v1 (hybrid) hierarchy: install runc and set runtime = \"runc\" in containers.conf" };
    }
    const notes = [`runtime ${runtime}, cgroups ${info.host.cgroupVersion ?? 'unknown'}, socket ${this.endpoint!.socket}`];
    if (!canRaiseLimits()) {
      const limits = hostUlimits(this.endpoint!.servicePid).map((u) => `${u.Name} ${u.Hard}`).join(', ');
      notes.push(`containers get this host's hard ulimits (${limits}): the engine may not raise them here`);
    }
    return { available: true, version: `podman ${info.version.Version}`, notes };
  }

  async start(launch: ReplicaLaunch): Promise<void> {
    if (!launch.image) throw new Error('the container driver needs an image');
    await this.engine();
    writeJsonAtomic(this.file(launch.uid, 'container.json'), { launch, image: launch.image } satisfies Saved, 0o600);
    this.bringUp(launch.uid);
  }

  /** Pull, create and start in the background; a failure ends the replica with the reason. */
  private bringUp(uid: string): void {
    if (this.starting.has(uid)) return;
    const run = this.pullCreateStart(uid)
      .catch((err: unknown) => this.ended(uid, err))
      .finally(() => this.starting.delete(uid));
    this.starting.set(uid, run);
  }

  private async pullCreateStart(uid: string): Promise<void> {
    const saved = readJson<Saved>(this.file(uid, 'container.json'));
    if (!saved) throw new Error('the launch record is missing');
    const { launch, image } = saved;
    const docker = await this.engine();
    if (!readJson(this.file(uid, 'created.json'))) {
      const problem = this.volumeProblem(launch);
      if (problem) throw new Error(problem);
      const auth = launch.container?.registryAuth?.find((a) => image.startsWith(`${a.serveraddress}/`));
      if (await this.puller!.ensure(image, launch.container?.pullPolicy, auth)) this.opts.onPulled?.();
      if (this.stopAsked(uid)) return this.stoppedBeforeStart(uid);
      const id = await this.create(this.createSpec(launch, image));
      writeJsonAtomic(this.file(uid, 'created.json'), { id, createdAt: new Date().toISOString() });
    }
    if (this.stopAsked(uid)) return this.stoppedBeforeStart(uid);
    await docker.getContainer(containerName(uid)).start().catch((err: unknown) => {
      throw new Error(engineMessage(err));
    });
  }

  /**
   * libpod's container spec: its create endpoint takes CDI device names, which the compatible
   * one (Podman 4) does not; everything after creation goes through the compatible API.
   */
  private createSpec(launch: ReplicaLaunch, image: string): Record<string, unknown> {
    const c = launch.container ?? {};
    const entrypoint = c.entrypoint ?? (launch.command.length > 0 ? launch.command : undefined);
    const period = 100_000;
    const devices = gpuDevices(launch.devices, this.opts.cdiKind ?? NVIDIA_CDI_KIND, cdiKinds(this.opts.cdiDirs));
    return {
      name: containerName(launch.uid),
      image,
      ...(entrypoint ? { entrypoint } : {}),
      ...(c.args ? { command: c.args } : {}),
      env: { ...launch.env, ...deviceEnv(launch.devices, launch.gpuShare) },
      labels: { [LABEL_UID]: launch.uid, [LABEL_OWNER]: this.opts.owner },
      // As Docker and Kubernetes do: a working directory the image lacks is made.
      ...(c.workingDir ? { work_dir: c.workingDir, create_working_dir: true } : {}),
      stop_signal: 15,
      netns: { nsmode: 'host' },
      log_configuration: { driver: 'k8s-file', path: this.file(launch.uid, CONTAINER_LOG) },
      r_limits: hostUlimits(this.endpoint?.servicePid).map((u) => ({ type: u.Name, soft: u.Soft, hard: u.Hard })),
      resource_limits: {
        ...(launch.limits.memoryBytes > 0 ? { memory: { limit: launch.limits.memoryBytes } } : {}),
        ...(launch.limits.cpuMilli > 0 ? { cpu: { quota: Math.max(1000, Math.round((launch.limits.cpuMilli * period) / 1000)), period } } : {}),
      },
      ...(c.shmSizeBytes ? { shm_size: c.shmSizeBytes } : {}),
      ...(devices.length > 0 ? { devices } : {}),
      ...(c.volumes?.length ? { mounts: c.volumes.map((v) => ({ type: 'bind', source: v.hostPath, destination: v.mountPath, options: ['rbind', v.readOnly ? 'ro' : 'rw'] })) } : {}),
    };
  }

  /** Why a volume may not be mounted here, if so: its path must lie under a --volume-root. */
  private volumeProblem(launch: ReplicaLaunch): string | undefined {
    for (const v of launch.container?.volumes ?? []) {
      const path = resolvePath(v.hostPath);
      if (!(this.opts.volumeRoots ?? []).some((root) => path === resolvePath(root) || path.startsWith(`${resolvePath(root)}/`))) {
        return `volume "${v.name}" (${v.hostPath}) is outside this node's volume roots (${(this.opts.volumeRoots ?? []).join(', ') || 'none: start the agent with --volume-root'})`;
      }
      if (!existsSync(path)) return `volume "${v.name}": ${v.hostPath} does not exist on this node`;
    }
    return undefined;
  }

  private async create(spec: Record<string, unknown>): Promise<string> {
    const docker = await this.engine();
    return new Promise((done, fail) => {
      docker.modem.dial(
        { path: '/v4.0.0/libpod/containers/create', method: 'POST', options: spec, statusCodes: { 201: true, 400: 'bad parameter', 404: 'no such image', 409: 'conflict', 500: 'server error' } },
        (err, data) => (err ? fail(new Error(engineMessage(err))) : done((data as { Id: string }).Id)),
      );
    });
  }

  private ended(uid: string, err: unknown): void {
    const finishedAt = new Date().toISOString();
    if (err instanceof ImagePullError) this.writeExit(uid, { code: null, signal: null, finishedAt, reason: 'ImagePullFailed', error: `ImagePullFailed: ${err.message}` });
    else this.writeExit(uid, { code: null, signal: null, finishedAt, error: engineProblem((err as Error).message) });
  }

  async inspect(uid: string): Promise<ReplicaState> {
    const exit = readJson<ExitInfo>(this.file(uid, 'exit.json'));
    if (exit) return { state: 'exited', exit };
    const saved = readJson<Saved>(this.file(uid, 'container.json'));
    if (!readJson(this.file(uid, 'created.json'))) {
      if (!saved) return { state: 'lost' };
      // Not created yet: this process is pulling, or a restarted agent picks the pull up again.
      this.bringUp(uid);
      const pct = this.puller?.progress(saved.image);
      return pct === undefined ? { state: 'starting' } : { state: 'starting', message: `Pulling image ${pct}%` };
    }
    let info: Docker.ContainerInspectInfo;
    try {
      info = await (await this.engine()).getContainer(containerName(uid)).inspect();
    } catch (err) {
      if (isMissing(err)) return readJson<ExitInfo>(this.file(uid, 'exit.json')) ? this.inspect(uid) : { state: 'lost' };
      throw err;
    }
    const st = info.State;
    if (st.Status === 'created' || st.Status === 'configured' || st.Status === 'initialized') {
      if (!this.starting.has(uid) && !this.stopAsked(uid)) this.bringUp(uid); // created, never started
      return this.starting.has(uid) ? { state: 'starting' } : { state: 'exited', exit: this.writeExit(uid, { code: null, signal: 'SIGTERM', finishedAt: new Date().toISOString() }) };
    }
    if (!ENDED.has(st.Status)) {
      // running, and also stopping or paused: its process is still there
      await this.escalate(uid);
      return { state: 'running', ...(st.Pid ? { pid: st.Pid } : {}), startedAt: st.StartedAt };
    }
    const ended: ExitInfo = { code: st.ExitCode, signal: null, finishedAt: st.FinishedAt };
    // SIGKILL (137) that no stop asked for: the kernel's log says whether memory was the cause.
    if (st.OOMKilled || (st.ExitCode === 137 && !this.stopAsked(uid) && kernelLogsOomKill(info.Id))) Object.assign(ended, { reason: 'OOMKilled' });
    return { state: 'exited', exit: this.writeExit(uid, ended) };
  }

  /** The engine times the grace itself; this is the backstop when its stop got lost. */
  private async escalate(uid: string): Promise<void> {
    const stop = readJson<{ graceMs: number; at: string }>(this.file(uid, 'stop.json'));
    if (stop && Date.now() - Date.parse(stop.at) > stop.graceMs + ESCALATE_AFTER_MS) await this.kill(uid);
  }

  async stop(uid: string, graceMs: number): Promise<void> {
    writeJsonAtomic(this.file(uid, 'stop.json'), { graceMs, at: new Date().toISOString() });
    if (!readJson(this.file(uid, 'created.json'))) {
      // Still pulling: it ends now, and the pull (which other replicas may share) runs on
      // without it; a container created meanwhile is never started (pullCreateStart).
      if (existsSync(this.file(uid, 'container.json'))) this.stoppedBeforeStart(uid);
      return;
    }
    const docker = await this.engine();
    // Not awaited: Podman answers once the container is down, which may be the whole grace.
    docker.getContainer(containerName(uid)).stop({ t: Math.ceil(graceMs / 1000) }).catch(() => undefined);
  }

  async kill(uid: string): Promise<void> {
    if (existsSync(this.folders.replicaDir(uid)) && !existsSync(this.file(uid, 'stop.json'))) {
      writeJsonAtomic(this.file(uid, 'stop.json'), { graceMs: 0, at: new Date().toISOString() });
    }
    try {
      await (await this.engine()).getContainer(containerName(uid)).kill({ signal: 'SIGKILL' });
    } catch {
      /* not running, or gone */
    }
  }

  async readLog(uid: string, stream: LogStream, offset: number, maxBytes: number): Promise<Buffer> {
    const saved = readJson<Saved>(this.file(uid, 'container.json'));
    if (saved) splitContainerLog(this.folders.replicaDir(uid), saved.launch.maxLogBytes);
    return readFrom(this.file(uid, `${stream}.log`), offset, maxBytes);
  }

  async list(): Promise<string[]> {
    const docker = await this.engine();
    const mine = await docker.listContainers({ all: true, filters: { label: [`${LABEL_OWNER}=${this.opts.owner}`] } });
    const uids = new Set(mine.map((c) => c.Labels[LABEL_UID]).filter((u): u is string => !!u));
    for (const uid of this.folders.replicaUids()) if (existsSync(this.file(uid, 'container.json')) && !existsSync(this.file(uid, 'exit.json'))) uids.add(uid);
    return [...uids];
  }

  async remove(uid: string): Promise<void> {
    try {
      await (await this.engine()).getContainer(containerName(uid)).remove({ force: true });
    } catch (err) {
      if (!isMissing(err)) throw err;
    }
    const dir = this.folders.replicaDir(uid);
    for (const f of OWN_FILES) rmSync(join(dir, f), { force: true });
  }

  private file(uid: string, name: string): string {
    return join(this.folders.replicaDir(uid), name);
  }

  private stopAsked(uid: string): boolean {
    return existsSync(this.file(uid, 'stop.json'));
  }

  /** A stop that came before the container ran: it ended then (the first such record stays). */
  private stoppedBeforeStart(uid: string): void {
    if (!existsSync(this.file(uid, 'exit.json'))) this.writeExit(uid, { code: null, signal: 'SIGTERM', finishedAt: new Date().toISOString() });
  }

  private writeExit(uid: string, exit: ExitInfo): ExitInfo {
    if (existsSync(this.folders.replicaDir(uid))) writeJsonAtomic(this.file(uid, 'exit.json'), exit);
    return exit;
  }
}

export function containerName(uid: string): string {
  return `weft-${uid}`;
}
