// The process task driver: starts each replica under its own supervisor (supervisor.ts), and
// tells the agent what became of it — also for replicas a previous agent process started.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeJsonAtomic, type ExitInfo, type ReplicaRecord, type StateDir } from '../state.js';
import { isAlive, processStartTime, signalGroup } from './proc.js';
import type { LaunchSpec } from './supervisor.js';

/** The compiled supervisor beside this module (dist/agent/driver/supervisor.js). */
export const SUPERVISOR_SCRIPT = fileURLToPath(new URL('./supervisor.js', import.meta.url));

export type ReplicaState =
  | { state: 'starting' }
  | { state: 'running'; pid: number; startedAt?: string }
  | { state: 'exited'; exit: ExitInfo }
  | { state: 'lost' };

/** A supervisor that has not written supervisor.json this long after spawn is taken as failed. */
const START_TIMEOUT_MS = 30_000;

export class ProcessDriver {
  constructor(
    private readonly state: StateDir,
    private readonly cgroupRoot?: string,
    private readonly supervisorScript = SUPERVISOR_SCRIPT,
  ) {}

  /** Starts a replica whose folder the caller has just claimed; records the supervisor's identity. */
  start(record: ReplicaRecord, launch: Omit<LaunchSpec, 'cgroup'>, limits: { cpuMilli: number; memoryBytes: number }): ReplicaRecord {
    const dir = this.state.replicaDir(record.uid);
    const spec: LaunchSpec = { ...launch };
    const cg = this.cgroupFor(record.uid, limits);
    if (cg) spec.cgroup = cg;
    writeJsonAtomic(join(dir, 'launch.json'), spec, 0o600);
    const sup = spawn(process.execPath, [this.supervisorScript, dir], { detached: true, stdio: 'ignore', cwd: dir });
    sup.unref();
    const next: ReplicaRecord = { ...record };
    if (sup.pid !== undefined) {
      next.supervisorPid = sup.pid;
      const st = processStartTime(sup.pid);
      if (st) next.supervisorStartTime = st;
    }
    this.state.saveRecord(next);
    return next;
  }

  inspect(record: ReplicaRecord): ReplicaState {
    const exit = this.state.exit(record.uid);
    if (exit) return { state: 'exited', exit };
    const sup = this.state.supervisor(record.uid);
    const supAlive = record.supervisorPid !== undefined && isAlive(record.supervisorPid, record.supervisorStartTime);
    if (sup?.childPid !== undefined && (supAlive || isAlive(sup.childPid, sup.childStartTime))) {
      return { state: 'running', pid: sup.childPid, ...(sup.startedAt ? { startedAt: sup.startedAt } : {}) };
    }
    // The supervisor may have written exit.json between the first look and the liveness check.
    const late = this.state.exit(record.uid);
    if (late) return { state: 'exited', exit: late };
    if (supAlive && Date.now() - Date.parse(record.createdAt) < START_TIMEOUT_MS) return { state: 'starting' };
    return { state: 'lost' };
  }

  /** Asks the replica to stop: SIGTERM to its group now, SIGKILL after the grace. */
  stop(record: ReplicaRecord, graceMs: number, reason: string): void {
    writeJsonAtomic(join(this.state.replicaDir(record.uid), 'stop.json'), { graceMs, reason });
    if (record.supervisorPid !== undefined && isAlive(record.supervisorPid, record.supervisorStartTime)) {
      process.kill(record.supervisorPid, 'SIGTERM');
      return;
    }
    // No supervisor to time the grace: signal the group directly, the agent escalates later.
    const sup = this.state.supervisor(record.uid);
    if (sup?.childPid !== undefined && isAlive(sup.childPid, sup.childStartTime)) signalGroup(sup.childPid, 'SIGTERM');
  }

  /** SIGKILL to the replica's group; used when a stop overran its grace without a supervisor. */
  kill(record: ReplicaRecord): void {
    const sup = this.state.supervisor(record.uid);
    if (sup?.childPid !== undefined && isAlive(sup.childPid, sup.childStartTime)) signalGroup(sup.childPid, 'SIGKILL');
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
