// MIG placement by shape: a MIG-mode GPU has 8 memory-slice positions; a profile occupies a run
// of `width` positions starting at one of its allowed starts. Among all fitting (GPU, start)
// pairs we take the one that closes the fewest aligned free runs, then the fuller GPU, so small
// instances do not break up room that a large one will need later.

import { GPU_MIG, type ReplicaShape } from './request.js';
import type { Snapshot } from './snapshot.js';

export interface MigSlot {
  /** Global GPU index, or -1 when none fits. */
  gpu: number;
  start: number;
  mask: number;
}

const NONE: MigSlot = { gpu: -1, start: -1, mask: 0 };

function runMask(start: number, width: number): number {
  return ((1 << width) - 1) << start;
}

/**
 * How many aligned runs of 1, 2, 4 and 8 slots stay free: a proxy for how many future profiles
 * still fit, valid for the A100-style start grid every MIG-capable model in the catalog uses.
 */
function openRuns(used: number): number {
  let open = 0;
  for (const width of [1, 2, 4, 8]) {
    for (let s = 0; s + width <= 8; s += width) if ((used & runMask(s, width)) === 0) open++;
  }
  return open;
}

export function findMigSlot(snap: Snapshot, n: number, req: ReplicaShape): MigSlot {
  if (req.gpuKind !== GPU_MIG) return NONE;
  const geom = req.migGeometry?.[snap.model[n]!];
  if (!geom) return NONE;
  let best = NONE;
  let bestLoss = Infinity;
  let bestUsed = -1;
  for (let g = snap.gpuStart[n]!, e = snap.gpuStart[n + 1]!; g < e; g++) {
    if (snap.gpuMig[g] !== 1) continue;
    const used = snap.migUsed[g]!;
    for (const s of geom.starts) {
      const mask = runMask(s, geom.width);
      if ((used & mask) !== 0) continue;
      // Fewest open runs destroyed; then the fuller GPU, so empty GPUs stay whole.
      const loss = openRuns(used) - openRuns(used | mask);
      const usedBits = popcount(used);
      if (loss < bestLoss || (loss === bestLoss && usedBits > bestUsed)) {
        bestLoss = loss;
        bestUsed = usedBits;
        best = { gpu: g, start: s, mask };
      }
    }
  }
  return best;
}

function popcount(x: number): number {
  let c = 0;
  for (let v = x; v !== 0; v &= v - 1) c++;
  return c;
}
