// The process driver: runs a replica as a host process under its own supervisor (supervisor.ts),
// a small detached Node process that outlives the agent, writes the output files and exit.json.
// So a restarted agent re-adopts a replica from its folder alone:
//
//   <replica dir>/launch.json      argv, env, cwd, cgroup limits (0600; the supervisor reads it)
//                 spawn.json       the supervisor's pid and start time, written at spawn
//                 supervisor.json  supervisor and replica pid + start time (by the supervisor)
//                 stdout.log, stderr.log, exit.json, stop.json {graceMs}
//                 work/            the replica's working directory
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readJson, writeJsonAtomic } from '../../state.js';
import type { Driver, DriverCapability, ExitInfo, LogStream, ReplicaFolders, ReplicaLaunch, ReplicaState } from '../driver.js';
import { deviceEnv } from '../env.js';
import { readFrom } from '../files.js';
import { isAlive, processStartTime, signalGroup } from './proc.js';
import type { LaunchSpec, SupervisorInfo } from './supervisor.js';

/** The compiled supervisor beside this module (dist/agent/drivers/process/supervisor.js). */
export const SUPERVISOR_SCRIPT = fileURLToPath(new URL('./supervisor.js', import.meta.url));

/** Variables passed through from the agent's own environment; nothing else leaks (no tokens). */
const PASSTHROUGH = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'USER', 'LOGNAME', 'SHELL'];

/** A supervisor that has not written supervisor.json this long after spawn is taken as failed. */
const START_TIMEOUT_MS = 30_000;

/** Files this driver writes in a replica folder (the agent's own files stay). */
const OWN_FILES = ['launch.json', 'spawn.json', 'supervisor.json', 'stop.json', 'exit.json', 'stdout.log', 'stderr.log', 'work'];

interface SpawnInfo {
  pid: number;
  startTime?: string;
  spawnedAt: string;
}

export class ProcessDriver implements Driver {
  readonly name = 'process' as const;

  constructor(
    private readonly folders: ReplicaFolders,
    /** A cgroup v2 folder for per-replica limits (e.g. /sys/fs/cgroup/weft); none: unlimited. */
    private readonly cgroupRoot?: string,
    private readonly supervisorScript = SUPERVISOR_SCRIPT,
  ) {}

  async probe(): Promise<DriverCapability> {
    if (!existsSync(this.supervisorScript)) return { available: false, reason: `supervisor ${this.supervisorScript} missing (the agent is not built)` };
    if (!existsSync('/proc/self/stat')) return { available: false, reason: 'no /proc: a restarted agent could not tell its replicas from reused pids' };
    return { available: true, version: process.version };
  }

  async start(launch: ReplicaLaunch): Promise<void> {
    await this.startSupervised(launch.uid, {
      command: launch.command,
      env: { ...launch.env, ...deviceEnv(launch.devices, launch.gpuShare) },
      maxLogBytes: launch.maxLogBytes,
      limits: launch.limits,
    });
  }

  /**
   * Runs `command` under a supervisor in the replica's folder, with the agent's PATH, HOME, … and
   * `env`: what start() does for a process, and what the vm driver does for QEMU.
   */
  async startSupervised(uid: string, run: { command: string[]; env: Record<string, string>; maxLogBytes: number; limits: { cpuMilli: number; memoryBytes: number }; qmpSocket?: string; fifos?: LaunchSpec['fifos'] }): Promise<void> {
    const dir = this.folders.replicaDir(uid);
    const cwd = join(dir, 'work');
    mkdirSync(cwd, { recursive: true });
    const env: Record<string, string> = {};
    for (const k of PASSTHROUGH) if (process.env[k] !== undefined) env[k] = process.env[k]!;
    Object.assign(env, run.env);
    const spec: LaunchSpec = { command: run.command, env, cwd, maxLogBytes: run.maxLogBytes };
    if (run.qmpSocket) spec.qmpSocket = run.qmpSocket;
    if (run.fifos) spec.fifos = run.fifos;
    const cg = this.cgroupFor(uid, run.limits);
    if (cg) spec.cgroup = cg;
    writeJsonAtomic(join(dir, 'launch.json'), spec, 0o600);
    const sup = spawn(process.execPath, [this.supervisorScript, dir], { detached: true, stdio: 'ignore', cwd: dir });
    sup.unref();
    if (sup.pid === undefined) {
      writeJsonAtomic(join(dir, 'exit.json'), { code: null, signal: null, finishedAt: new Date().toISOString(), error: 'could not start the supervisor' } satisfies ExitInfo);
      return;
    }
    const info: SpawnInfo = { pid: sup.pid, spawnedAt: new Date().toISOString() };
    const st = processStartTime(sup.pid);
    if (st) info.startTime = st;
    writeJsonAtomic(join(dir, 'spawn.json'), info);
  }

  async inspect(uid: string): Promise<ReplicaState> {
    const dir = this.folders.replicaDir(uid);
    const exit = readJson<ExitInfo>(join(dir, 'exit.json'));
    if (exit) return { state: 'exited', exit };
    const spawned = readJson<SpawnInfo>(join(dir, 'spawn.json'));
    const sup = readJson<SupervisorInfo>(join(dir, 'supervisor.json'));
    const supAlive = sup ? isAlive(sup.pid, sup.startTime) : spawned !== undefined && isAlive(spawned.pid, spawned.startTime);
    if (sup?.childPid !== undefined && (supAlive || isAlive(sup.childPid, sup.childStartTime))) {
      return { state: 'running', pid: sup.childPid, ...(sup.startedAt ? { startedAt: sup.startedAt } : {}) };
    }
    // The supervisor may have written exit.json between the first look and the liveness check.
    const late = readJson<ExitInfo>(join(dir, 'exit.json'));
    if (late) return { state: 'exited', exit: late };
    if (supAlive && spawned && Date.now() - Date.parse(spawned.spawnedAt) < START_TIMEOUT_MS) return { state: 'starting' };
    return { state: 'lost' };
  }

  /** SIGTERM to the replica's group now (through its supervisor), SIGKILL after the grace. */
  async stop(uid: string, graceMs: number): Promise<void> {
    const dir = this.folders.replicaDir(uid);
    writeJsonAtomic(join(dir, 'stop.json'), { graceMs });
    const sup = readJson<SupervisorInfo>(join(dir, 'supervisor.json')) ?? readJson<SpawnInfo>(join(dir, 'spawn.json'));
    if (sup && isAlive(sup.pid, sup.startTime)) {
      process.kill(sup.pid, 'SIGTERM');
      return;
    }
    // No supervisor to time the grace: signal the group directly, the agent escalates later.
    const child = readJson<SupervisorInfo>(join(dir, 'supervisor.json'));
    if (child?.childPid !== undefined && isAlive(child.childPid, child.childStartTime)) signalGroup(child.childPid, 'SIGTERM');
  }

  /** SIGKILL to the replica's group; the supervisor records how it ended. */
  async kill(uid: string): Promise<void> {
    const sup = readJson<SupervisorInfo>(join(this.folders.replicaDir(uid), 'supervisor.json'));
    if (sup?.childPid !== undefined && isAlive(sup.childPid, sup.childStartTime)) signalGroup(sup.childPid, 'SIGKILL');
  }

  async readLog(uid: string, stream: LogStream, offset: number, maxBytes: number): Promise<Buffer> {
    return readFrom(join(this.folders.replicaDir(uid), `${stream}.log`), offset, maxBytes);
  }

  async list(): Promise<string[]> {
    return this.folders.replicaUids().filter((uid) => existsSync(join(this.folders.replicaDir(uid), 'launch.json')));
  }

  async remove(uid: string): Promise<void> {
    const dir = this.folders.replicaDir(uid);
    for (const f of OWN_FILES) rmSync(join(dir, f), { recursive: true, force: true });
    if (!this.cgroupRoot) return;
    try {
      rmdirSync(join(this.cgroupRoot, uid)); // empty once its processes have ended
    } catch {
      /* never made, or still busy: nothing to free */
    }
  }

  private cgroupFor(uid: string, limits: { cpuMilli: number; memoryBytes: number }): LaunchSpec['cgroup'] | undefined {
    if (!this.cgroupRoot) return undefined;
    const path = join(this.cgroupRoot, uid);
    try {
      mkdirSync(path, { recursive: true });
    } catch {
      return undefined;
    }
    // A child cgroup only has cpu.max / memory.max when its parents delegate the controllers.
    for (const parent of [dirname(this.cgroupRoot), this.cgroupRoot]) {
      try {
        writeFileSync(join(parent, 'cgroup.subtree_control'), '+cpu +memory');
      } catch {
        /* already delegated, or not allowed: the supervisor's writes then fail and it runs unlimited */
      }
    }
    const period = 100_000;
    return {
      path,
      ...(limits.cpuMilli > 0 ? { cpuMax: `${Math.max(1000, Math.round((limits.cpuMilli * period) / 1000))} ${period}` } : {}),
      ...(limits.memoryBytes > 0 ? { memoryMax: String(limits.memoryBytes) } : {}),
    };
  }
}
