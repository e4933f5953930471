// The replica supervisor: a small process the agent starts detached (its own session) for each
// replica. It starts the command in its own process group, writes its output to bounded files
// and its exit status to exit.json — so the replica outlives an agent crash, and a restarted
// agent learns how it ended. Usage: node supervisor.js <replica dir>
//
// Stop: the agent writes stop.json {graceMs} and sends SIGTERM to the supervisor, which sends
// SIGTERM to the replica's process group and SIGKILL when the grace runs out.
import { spawn } from 'node:child_process';
import { createWriteStream, writeFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { readJson, writeJsonAtomic } from '../../state.js';
import type { ExitInfo } from '../driver.js';
import { processStartTime, signalGroup } from './proc.js';
import { boundedPart } from '../files.js';

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

function bounded(stream: Readable | null, file: string, max: number): WriteStream {
  const out = createWriteStream(file, { flags: 'a' });
  let written = 0;
  let cut = false;
  stream?.on('data', (buf: Buffer) => {
    if (cut) return; // keep draining so the replica never blocks on a full pipe
    const part = boundedPart(written, buf, max);
    out.write(part.out);
    written += buf.length;
    cut = part.cut;
  });
  return out;
}

const self: SupervisorInfo = { pid: process.pid, startTime: processStartTime(process.pid) ?? '' };
if (launch.cgroup) joinCgroup(launch.cgroup);
const [cmd, ...args] = launch.command;
const child = spawn(cmd!, args, { cwd: launch.cwd, env: launch.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
const outs = [bounded(child.stdout, join(dir, 'stdout.log'), launch.maxLogBytes), bounded(child.stderr, join(dir, 'stderr.log'), launch.maxLogBytes)];
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

child.on('error', (err) => finish({ code: null, signal: null, finishedAt: new Date().toISOString(), error: err.message }));
child.on('close', (code, signal) => finish({ code, signal, finishedAt: new Date().toISOString() }));
// A background grandchild may hold the pipes open after the replica itself has exited.
child.on('exit', (code, signal) => setTimeout(() => finish({ code, signal, finishedAt: new Date().toISOString() }), 2000).unref());
stopChild = (): void => {
  if (child.pid === undefined) return;
  const stop = readJson<{ graceMs?: number }>(join(dir!, 'stop.json'));
  signalGroup(child.pid, 'SIGTERM');
  setTimeout(() => signalGroup(child.pid!, 'SIGKILL'), stop?.graceMs ?? 30_000).unref();
};
if (stopAsked) stopChild();
if (child.pid !== undefined) {
  writeJsonAtomic(join(dir, 'supervisor.json'), {
    ...self,
    childPid: child.pid,
    childStartTime: processStartTime(child.pid),
    startedAt: new Date().toISOString(),
  } satisfies SupervisorInfo);
}
