// Pinning each vCPU thread to the CPUs of its guest NUMA node's host node, once QEMU runs: for a
// guest whose GPUs sit on two host nodes, taskset around QEMU can only give every thread the CPUs
// of both. QMP's query-cpus-fast names the host thread of each vCPU; taskset -p moves it.
import { execFileSync } from 'node:child_process';
import type { GuestNumaNode } from './numa.js';
import { qmp } from './qmp.js';

/** Each vCPU's host thread to the CPUs of its node (nodeCpus[i] for numa[i]); returns what was pinned. */
export async function pinVcpus(qmpSocket: string, numa: GuestNumaNode[], nodeCpus: string[], taskset: string, waitMs = 30_000): Promise<Record<number, string>> {
  const cpus = await vcpuThreads(qmpSocket, waitMs);
  const pinned: Record<number, string> = {};
  for (const cpu of cpus) {
    const node = numa.findIndex((n) => n.cpus !== undefined && cpu['cpu-index'] >= n.cpus[0] && cpu['cpu-index'] <= n.cpus[1]);
    const list = nodeCpus[node];
    if (node < 0 || !list) continue;
    execFileSync(taskset, ['-p', '-c', list, String(cpu['thread-id'])], { stdio: 'ignore' });
    pinned[cpu['cpu-index']] = list;
  }
  return pinned;
}

/** QEMU's vCPU threads, asking until its monitor answers (it listens a moment after it starts). */
async function vcpuThreads(qmpSocket: string, waitMs: number): Promise<{ 'cpu-index': number; 'thread-id': number }[]> {
  const until = Date.now() + waitMs;
  for (;;) {
    try {
      return (await qmp(qmpSocket, 'query-cpus-fast')) as { 'cpu-index': number; 'thread-id': number }[];
    } catch (err) {
      if (Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
