// What the host offers besides GPUs: CPU cores, memory, whether cgroups v2 can limit replicas,
// and the GPUs nvidia-smi reports (none when it is not installed).
import { execFile } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import { parseNvidiaSmi } from './nvidia-smi.js';
import { parseTopoMatrix } from './topo.js';
import type { GpuInventory, NvlinkInfo } from './types.js';

export function hostCpuCores(): number {
  return availableParallelism();
}

export function hostMemoryBytes(): number {
  return totalmem();
}

export const CGROUP_ROOT = '/sys/fs/cgroup';

/**
 * cgroups v2 is usable when /sys/fs/cgroup is the unified hierarchy, writable by us, with the
 * cpu and memory controllers available to delegate to children.
 */
export function cgroupsV2Available(root = CGROUP_ROOT): boolean {
  try {
    const controllers = readFileSync(`${root}/cgroup.controllers`, 'utf8').split(/\s+/);
    if (!controllers.includes('cpu') || !controllers.includes('memory')) return false;
    accessSync(root, constants.W_OK);
    accessSync(`${root}/cgroup.subtree_control`, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function run(cmd: string, args: string[], timeoutMs = 10_000): Promise<string | undefined> {
  return new Promise((done) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout) => done(err ? undefined : stdout));
  });
}

export interface RealGpus {
  gpus: GpuInventory[];
  nvlink?: NvlinkInfo;
}

/** GPUs from nvidia-smi; undefined when nvidia-smi is missing or fails. */
export async function discoverNvidiaGpus(): Promise<RealGpus | undefined> {
  const xml = await run('nvidia-smi', ['-q', '-x']);
  if (!xml) return undefined;
  const [list, gpuInstances, topo] = await Promise.all([
    run('nvidia-smi', ['-L']),
    run('nvidia-smi', ['mig', '-lgi']),
    run('nvidia-smi', ['topo', '-m']),
  ]);
  const gpus = parseNvidiaSmi({ xml, list, gpuInstances });
  const nvlink = topo ? parseTopoMatrix(topo) : undefined;
  return { gpus, ...(nvlink && Object.values(nvlink.peers).some((p) => p.length > 0) ? { nvlink } : {}) };
}

/** Per-GPU utilisation in percent from nvidia-smi; undefined when it cannot be read. */
export async function sampleGpuUtilization(): Promise<Record<string, number> | undefined> {
  const out = await run('nvidia-smi', ['--query-gpu=index,utilization.gpu', '--format=csv,noheader,nounits'], 5_000);
  return out === undefined ? undefined : parseUtilization(out);
}

export function parseUtilization(csv: string): Record<string, number> {
  const res: Record<string, number> = {};
  for (const line of csv.split('\n')) {
    const m = /^\s*(\d+)\s*,\s*(\d+(?:\.\d+)?)\s*$/.exec(line);
    if (m) res[m[1]!] = Number(m[2]);
  }
  return res;
}
