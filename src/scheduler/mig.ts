// MIG placement by geometry. A MIG-mode GPU has 8 memory slices; a profile occupies a run of
// `width` slices beginning at one of its allowed start slices (src/model/gpu-catalog.ts). Where
// an instance goes decides which instances can still come: a 1g at slice 0 rules out the 4g and
// the 7g, the same 1g at slice 6 rules out neither the 4g nor the 3g at slice 0. So among all
// fitting (GPU, start) candidates we take the one that destroys the fewest future placements,
// counted over every profile of the GPU's model, then the GPU already most used (packing, so
// empty GPUs stay whole for large profiles), then the lowest GPU and start. First-fit (lowest
// GPU, lowest start) is kept as the baseline the simulator compares against.

import { migProfilesOf, migRunMask, MIG_SLOTS } from '../model/gpu-catalog.js';
import { GPU_MIG, type ReplicaShape } from './request.js';
import type { Snapshot } from './snapshot.js';

export interface MigSlot {
  /** Global GPU index, or -1 when none fits. */
  gpu: number;
  start: number;
  mask: number;
}

/** `keep-most`: our rule (see the header). `first-fit`: lowest GPU, lowest valid start. */
export type MigRule = 'keep-most' | 'first-fit';

const NONE: MigSlot = { gpu: -1, start: -1, mask: 0 };

/**
 * keptTable(model)[used] = how many profile placements are still possible on a GPU whose occupied
 * slices are `used`, each weighted by its memory width so that keeping room for a 4g counts more
 * than keeping room for a 1g. Media (+me) variants repeat their plain sibling's geometry and are
 * left out so they do not count twice. 256 entries per model, built once.
 */
const keptTables = new Map<string, Float64Array>();

export function keptTable(model: string): Float64Array {
  let t = keptTables.get(model);
  if (t) return t;
  const masks: number[] = [];
  const weights: number[] = [];
  for (const p of migProfilesOf(model)) {
    if (p.media) continue;
    for (const s of p.starts) {
      masks.push(migRunMask(s, p.width));
      weights.push(p.width);
    }
  }
  t = new Float64Array(1 << MIG_SLOTS);
  for (let used = 0; used < t.length; used++) {
    let kept = 0;
    for (let i = 0; i < masks.length; i++) if ((used & masks[i]!) === 0) kept += weights[i]!;
    t[used] = kept;
  }
  keptTables.set(model, t);
  return t;
}

/** Running best candidate while scanning GPUs (one per search, never shared). */
class Best {
  slot: MigSlot = NONE;
  node = -1;
  private loss = Infinity;
  private usedBits = -1;

  consider(snap: Snapshot, n: number, req: ReplicaShape, rule: MigRule): void {
    const geom = req.migGeometry?.[snap.model[n]!];
    if (!geom) return;
    const kept = rule === 'keep-most' ? keptTable(snap.modelNames[snap.model[n]!]!) : null;
    for (let g = snap.gpuStart[n]!, e = snap.gpuStart[n + 1]!; g < e; g++) {
      if (snap.gpuMig[g] !== 1) continue;
      const used = snap.migUsed[g]!;
      for (const s of geom.starts) {
        const mask = migRunMask(s, geom.width);
        if ((used & mask) !== 0) continue;
        if (!kept) {
          // First-fit: the scan is in GPU then start order, so the first fit is the answer.
          if (this.slot.gpu < 0) this.take(n, g, s, mask, 0, 0);
          return;
        }
        const loss = kept[used]! - kept[used | mask]!;
        const bits = popcount(used);
        // Strict comparisons: on a full tie the earlier (lower GPU, lower start) candidate stays.
        if (loss < this.loss || (loss === this.loss && bits > this.usedBits)) this.take(n, g, s, mask, loss, bits);
      }
    }
  }

  private take(n: number, gpu: number, start: number, mask: number, loss: number, bits: number): void {
    this.slot = { gpu, start, mask };
    this.node = n;
    this.loss = loss;
    this.usedBits = bits;
  }
}

/** The MIG slot for `req` on node n under `rule` (the engine places inside the chosen node). */
export function findMigSlot(snap: Snapshot, n: number, req: ReplicaShape, rule: MigRule = 'keep-most'): MigSlot {
  if (req.gpuKind !== GPU_MIG) return NONE;
  const best = new Best();
  best.consider(snap, n, req, rule);
  return best.slot;
}

/** The MIG slot for `req` over every schedulable node, with the node it lies on (-1 when none). */
export function findMigSlotInFleet(snap: Snapshot, req: ReplicaShape, rule: MigRule = 'keep-most'): MigSlot & { node: number } {
  const best = new Best();
  if (req.gpuKind === GPU_MIG) {
    for (let n = 0; n < snap.nodeCount; n++) {
      if (snap.schedulable[n] !== 1) continue;
      best.consider(snap, n, req, rule);
      if (rule === 'first-fit' && best.node >= 0) break;
    }
  }
  return { ...best.slot, node: best.node };
}

function popcount(x: number): number {
  let c = 0;
  for (let v = x; v !== 0; v &= v - 1) c++;
  return c;
}
