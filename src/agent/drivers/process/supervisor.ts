// The replica supervisor: a small process the agent starts detached (its own session) for each
// replica. It starts the command in its own process group, writes its output to bounded files
// and its exit status to exit.json — so the replica outlives an agent crash, and a restarted
// agent learns how it ended. Usage: node supervisor.js <replica dir>
//
// Stop: the agent writes stop.json {graceMs} and sends SIGTERM to the supervisor, which sends
// SIGTERM to the replica's process group (for a VM: the ACPI power button over QMP) and SIGKILL
// when the grace runs out.
import { spawn } from 'node:child_process';
import { closeSync, constants, createReadStream, createWriteStream, openSync, writeFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { readJson, writeJsonAtomic } from '../../state.js';
import type { ExitInfo } from '../driver.js';
import { processStartTime, signalGroup } from './proc.js';
import { boundedPart } from '../files.js';
import { qmp } from '../vm/qmp.js';

/** What supervisor.json says: the supervisor and the replica, each by pid and start time. */
export interface SupervisorInfo {
  pid: number;
  startTime: string;
  childPid?: number;
  childStartTime?: string;
  startedAt?: string;
}

export interface LaunchSpec {
  command: string[];
  env: Record<string, string>;
  cwd: string;
  /** Bytes kept per stream; output beyond it is dropped after a marker line. */
  maxLogBytes: number;
  /** A cgroup v2 folder to join before starting the command, with its limits. */
  cgroup?: { path: string; cpuMax?: string; memoryMax?: string };
  /** A VM's QMP socket: a stop presses its ACPI power button instead of sending SIGTERM. */
  qmpSocket?: string;
  /**
   * FIFOs the command writes more output into (QEMU's serial ports), kept in the same bounded
   * files as its own stdout and stderr: a FIFO, because QEMU cannot reopen the socket pairs
   * Node gives a child as its standard streams.
   */
  fifos?: { stdout?: string; stderr?: string };
}

// Signals first: a stop that arrives while this process is still starting must not kill it
// (default SIGTERM action) before it can pass the stop on and record the exit.
let stopAsked = false;
let stopChild: (() => void) | undefined;
process.on('SIGTERM', () => {
  stopAsked = true;
  stopChild?.();
});
// The agent's terminal may go away; the replica must not.
process.on('SIGHUP', () => {});
process.on('SIGINT', () => {});

const dir = process.argv[2];
if (!dir) {
  process.stderr.write('usage: supervisor <replica dir>\n');
  process.exit(2);
}
const launch = readJson<LaunchSpec>(join(dir, 'launch.json'));
if (!launch) {
  writeJsonAtomic(join(dir, 'exit.json'), { code: null, signal: null, finishedAt: new Date().toISOString(), error: 'launch.json missing' } satisfies ExitInfo);
  process.exit(1);
}

function joinCgroup(cg: NonNullable<LaunchSpec['cgroup']>): void {
  // Best effort: the agent only asks when cgroups v2 is delegated; a failure leaves the replica unlimited.
  try {
    if (cg.cpuMax) writeFileSync(join(cg.path, 'cpu.max'), cg.cpuMax);
    if (cg.memoryMax) writeFileSync(join(cg.path, 'memory.max'), cg.memoryMax);
    writeFileSync(join(cg.path, 'cgroup.procs'), String(process.pid));
  } catch {
    /* reported by the agent, which checked availability up front */
  }
}

/** Appends every source to `file`, up to max bytes in all, then a marker; resolves when all have ended. */
function bounded(sources: Readable[], file: string, max: number): { out: WriteStream; ended: Promise<void> } {
  const out = createWriteStream(file, { flags: 'a' });
  let written = 0;
  let cut = false;
  const ended = sources.map(
    (stream) =>
      new Promise<void>((resolve) => {
        stream.on('data', (buf: Buffer) => {
          if (cut) return; // keep draining so the replica never blocks on a full pipe
          const part = boundedPart(written, buf, max);
          out.write(part.out);
          written += buf.length;
          cut = part.cut;
        });
        stream.on('end', resolve);
        stream.on('error', () => resolve());
      }),
  );
  return { out, ended: Promise.all(ended).then(() => undefined) };
}

const self: SupervisorInfo = { pid: process.pid, startTime: processStartTime(process.pid) ?? '' };
if (launch.cgroup) joinCgroup(launch.cgroup);
const [cmd, ...args] = launch.command;
const child = spawn(cmd!, args, { cwd: launch.cwd, env: launch.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
// A FIFO opens (and then ends) only once the child opens its end. A child that exits without
// ever doing so (QEMU refusing its arguments) would leave our open waiting for a writer forever,
// holding a worker thread and keeping this process alive: on the child's exit we open each
// FIFO's write end without blocking and close it, which completes a pending open with an
// immediate end of file (and fails harmlessly, ENXIO, where no open is pending any more).
const fifo = (path: string | undefined): Readable[] => (path ? [createReadStream(path)] : []);
const fifoPaths = [launch.fifos?.stdout, launch.fifos?.stderr].filter((p): p is string => p !== undefined);
function releaseFifos(): void {
  for (const path of fifoPaths) {
    try {
      closeSync(openSync(path, constants.O_WRONLY | constants.O_NONBLOCK));
    } catch {
      /* no reader waiting */
    }
  }
}
const streams = [
  bounded([child.stdout, ...fifo(launch.fifos?.stdout)], join(dir, 'stdout.log'), launch.maxLogBytes),
  bounded([child.stderr, ...fifo(launch.fifos?.stderr)], join(dir, 'stderr.log'), launch.maxLogBytes),
];
const outs = streams.map((s) => s.out);
let finished = false;

function finish(info: ExitInfo): void {
  if (finished) return;
  finished = true;
  let open = outs.length;
  const done = (): void => {
    if (--open > 0) return;
    writeJsonAtomic(join(dir, 'exit.json'), info);
    process.exit(0);
  };
  for (const o of outs) o.end(done);
}

child.on('error', (err) => {
  releaseFifos();
  finish({ code: null, signal: null, finishedAt: new Date().toISOString(), error: err.message });
});
child.on('close', (code, signal) => {
  const info: ExitInfo = { code, signal, finishedAt: new Date().toISOString() };
  void Promise.all(streams.map((s) => s.ended)).then(() => finish(info));
});
// A background grandchild may hold the pipes open after the replica itself has exited.
child.on('exit', (code, signal) => {
  releaseFifos();
  setTimeout(() => finish({ code, signal, finishedAt: new Date().toISOString() }), 2000).unref();
});
stopChild = (): void => {
  if (child.pid === undefined) return;
  const stop = readJson<{ graceMs?: number }>(join(dir!, 'stop.json'));
  if (launch.qmpSocket) pressPowerButton(launch.qmpSocket);
  else signalGroup(child.pid, 'SIGTERM');
  setTimeout(() => signalGroup(child.pid!, 'SIGKILL'), stop?.graceMs ?? 30_000).unref();
};
/**
 * ACPI power button, pressed again every 2 s until QEMU exits: a guest still booting has no
 * handler yet and drops the first press (as libvirt's users repeat `virsh shutdown`).
 */
function pressPowerButton(socket: string): void {
  const press = (): void => void qmp(socket, 'system_powerdown').catch(() => undefined);
  press();
  setInterval(press, 2000).unref();
}
if (stopAsked) stopChild();
if (child.pid !== undefined) {
  writeJsonAtomic(join(dir, 'supervisor.json'), {
    ...self,
    childPid: child.pid,
    childStartTime: processStartTime(child.pid),
    startedAt: new Date().toISOString(),
  } satisfies SupervisorInfo);
}
