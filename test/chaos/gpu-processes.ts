// What really runs on the GPUs of the chaos runs' agent nodes: every live process that a node
// agent started carries WEFT_ALLOCATION, WEFT_NODE and CUDA_VISIBLE_DEVICES in its environment
// (/proc/<pid>/environ). A GPU used by two allocations' processes at the same moment is
// double-booked in fact, whatever the API says. Sampled every 100 ms while a run lasts.
import { readdirSync, readFileSync } from 'node:fs';

/** GPU UUID → allocations whose processes use it now, for processes of the given nodes. */
export function gpuHolders(nodes: ReadonlySet<string>): Map<string, Set<string>> {
  const holders = new Map<string, Set<string>>();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    let env: string;
    try {
      env = readFileSync(`/proc/${pid}/environ`, 'utf8');
    } catch {
      continue; // gone meanwhile, or not ours to read
    }
    if (!env.includes('WEFT_ALLOCATION=')) continue;
    const vars = new Map(env.split('\0').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
    const node = vars.get('WEFT_NODE');
    const alloc = vars.get('WEFT_ALLOCATION');
    if (!node || !alloc || !nodes.has(node)) continue;
    for (const gpu of (vars.get('CUDA_VISIBLE_DEVICES') ?? '').split(',').filter(Boolean)) {
      if (!holders.has(gpu)) holders.set(gpu, new Set());
      holders.get(gpu)!.add(alloc);
    }
  }
  return holders;
}

/** Samples gpuHolders until stop(); returns each GPU seen held by two allocations at once, with them. */
export function watchGpuProcesses(nodes: ReadonlySet<string>, everyMs = 100): { stop(): string[] } {
  const doubled = new Map<string, string>();
  const timer = setInterval(() => {
    for (const [gpu, allocs] of gpuHolders(nodes)) if (allocs.size > 1) doubled.set(gpu, [...allocs].sort().join(' + '));
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return [...doubled].map(([gpu, allocs]) => `${gpu}: ${allocs}`);
    },
  };
}
