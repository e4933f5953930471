// A replica the server has given up on (its node was declared lost while the agent was down or
// frozen) keeps running until the agent stops it, and a replica asked to stop may take its grace
// period to exit. Until then it still uses its GPUs, whatever the server's ledger says: the
// scheduler may already have placed new work on them. A new replica starts only once the GPUs
// it was given are free on this host, counting every replica here that is still up.
import type { AllocatedGpu } from '../model/kinds/allocation.js';

interface Use {
  /** Thousandths used by whole-GPU and shared replicas. */
  milli: number;
  /** MIG slices in use. */
  slices: Set<number>;
}

/** The first GPU of `want` that the replicas in `held` leave too little of, or undefined. */
export function gpuInUse(want: readonly AllocatedGpu[], held: readonly (readonly AllocatedGpu[])[]): AllocatedGpu | undefined {
  const use = new Map<number, Use>();
  for (const gpus of held) {
    for (const g of gpus) {
      const u = use.get(g.index) ?? { milli: 0, slices: new Set<number>() };
      if (g.mig) for (let s = g.mig.start; s < g.mig.start + g.mig.size; s++) u.slices.add(s);
      else u.milli += g.milli;
      use.set(g.index, u);
    }
  }
  return want.find((g) => {
    const u = use.get(g.index);
    if (!u) return false;
    if (!g.mig) return u.slices.size > 0 || u.milli + g.milli > 1000;
    if (u.milli > 0) return true;
    for (let s = g.mig.start; s < g.mig.start + g.mig.size; s++) if (u.slices.has(s)) return true;
    return false;
  });
}
