// Reaching Podman's REST API. We use dockerode (the maintained Node client of the Docker API)
// against Podman's Docker-compatible endpoints, which cover everything a replica needs (create,
// start, stop, kill, wait, inspect, list by label, pull with X-Registry-Auth); its modem reaches
// libpod's own endpoints where the compatible ones say less (libpod/info).
//
// Where the socket comes from, in order:
//   1. --podman-socket / WEFT_PODMAN_SOCKET (production: `systemctl enable --now podman.socket`
//      and pass /run/podman/podman.sock);
//   2. /run/podman/podman.sock, when something answers there;
//   3. otherwise the agent starts `podman system service` on <state dir>/podman.sock. The
//      service ends itself after SERVICE_IDLE_S without requests (containers keep running under
//      conmon), so an agent that runs no containers, or has stopped, leaves no daemon behind;
//      the driver starts it again when it next needs it.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { readJson, writeJsonAtomic } from '../../state.js';

export const SYSTEM_SOCKET = '/run/podman/podman.sock';
export const SERVICE_IDLE_S = 20;

export interface PodmanEndpoint {
  docker: Docker;
  socket: string;
  /** The service's pid when this agent started it (its limits are what containers inherit). */
  servicePid?: number;
}

export interface PodmanOptions {
  /** A socket to use as is. */
  socket?: string;
  /** Where to run a service of our own when no socket answers. */
  stateDir: string;
  podmanPath?: string;
}

/** Podman's answer to libpod/info, as far as the driver reads it. */
export interface PodmanInfo {
  host: { ociRuntime?: { name?: string; path?: string }; cgroupVersion?: string };
  version: { Version: string };
}

async function answers(docker: Docker): Promise<boolean> {
  try {
    await docker.ping();
    return true;
  } catch {
    return false;
  }
}

/** The podman binary on PATH, if any. */
export function findPodman(path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(':')) if (dir && existsSync(join(dir, 'podman'))) return join(dir, 'podman');
  return undefined;
}

export async function connectPodman(opts: PodmanOptions): Promise<PodmanEndpoint | { error: string }> {
  if (opts.socket) {
    const docker = new Docker({ socketPath: opts.socket });
    return (await answers(docker)) ? withPid({ docker, socket: opts.socket }) : { error: `nothing answers on the podman socket ${opts.socket}` };
  }
  const system = new Docker({ socketPath: SYSTEM_SOCKET });
  if (existsSync(SYSTEM_SOCKET) && (await answers(system))) return withPid({ docker: system, socket: SYSTEM_SOCKET });
  const podman = opts.podmanPath ?? findPodman();
  if (!podman) return { error: 'podman not installed' };
  const socket = join(opts.stateDir, 'podman.sock');
  const docker = new Docker({ socketPath: socket });
  const saved = readJson<{ pid: number }>(join(opts.stateDir, 'podman-service.json'));
  if (existsSync(socket) && (await answers(docker))) return { docker, socket, ...(saved ? { servicePid: saved.pid } : {}) };
  const child = spawn(podman, ['system', 'service', `--time=${SERVICE_IDLE_S}`, `unix://${socket}`], { detached: true, stdio: 'ignore' });
  child.unref();
  if (child.pid === undefined) return { error: `could not start ${podman} system service` };
  writeJsonAtomic(join(opts.stateDir, 'podman-service.json'), { pid: child.pid, socket });
  for (let i = 0; i < 100; i++) {
    if (existsSync(socket) && (await answers(docker))) return { docker, socket, servicePid: child.pid };
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return { error: `podman system service did not answer on ${socket}` };
}

function withPid(ep: PodmanEndpoint): PodmanEndpoint {
  const pid = socketServer(ep.socket);
  return pid === undefined ? ep : { ...ep, servicePid: pid };
}

/**
 * The process that serves a unix socket (a podman one preferred over, say, systemd holding it
 * for activation): the socket's inode from /proc/net/unix, then whose fd points at it.
 */
export function socketServer(socket: string): number | undefined {
  let inode: string | undefined;
  try {
    for (const line of readFileSync('/proc/net/unix', 'utf8').split('\n')) {
      const f = line.trim().split(/\s+/);
      if (f[7] === socket) inode = f[6];
    }
  } catch {
    return undefined;
  }
  if (!inode) return undefined;
  const target = `socket:[${inode}]`;
  let found: number | undefined;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    if (!fds.some((fd) => linkOf(`/proc/${pid}/fd/${fd}`) === target)) continue;
    found = Number(pid);
    if (linkOf(`/proc/${pid}/exe`)?.endsWith('/podman')) return found;
  }
  return found;
}

function linkOf(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}

export async function podmanInfo(docker: Docker): Promise<PodmanInfo> {
  return new Promise((done, fail) => {
    docker.modem.dial({ path: '/v4.0.0/libpod/info', method: 'GET', statusCodes: { 200: true, 500: 'engine error' } }, (err, data) => (err ? fail(err) : done(data as PodmanInfo)));
  });
}

/**
 * The ulimits a container may have: runc sets them inside the container, and without
 * CAP_SYS_RESOURCE it cannot go above the hard limits of the process that starts it (Podman's
 * default of 1048576 open files then fails every container). So each container gets the engine's
 * own hard limits, read from /proc/<pid>/limits (this process's when the engine's pid is unknown).
 */
export function hostUlimits(pid?: number): { Name: string; Soft: number; Hard: number }[] {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid ?? 'self'}/limits`, 'utf8');
  } catch {
    text = readFileSync('/proc/self/limits', 'utf8');
  }
  const out: { Name: string; Soft: number; Hard: number }[] = [];
  for (const [name, label] of [['nofile', 'Max open files'], ['nproc', 'Max processes']] as const) {
    const m = new RegExp(`^${label}\\s+\\S+\\s+(\\d+)`, 'm').exec(text);
    if (m) {
      const hard = Math.min(Number(m[1]), 1_048_576);
      out.push({ Name: name, Soft: hard, Hard: hard });
    }
  }
  return out;
}

/** Whether this process may raise resource limits (CAP_SYS_RESOURCE, bit 24 of CapEff). */
export function canRaiseLimits(): boolean {
  try {
    const m = /^CapEff:\s+([0-9a-f]+)/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? (BigInt(`0x${m[1]}`) & (1n << 24n)) !== 0n : false;
  } catch {
    return false;
  }
}
