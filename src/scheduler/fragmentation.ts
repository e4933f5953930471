// FGD's fragmentation measure (Weng et al., ATC'23). For a typical pod m, the "fragment" of a
// node is the idle GPU capacity m cannot use there: GPUs too small for m when m fits, or all
// idle GPU when m does not fit at all (CPU, model or GPU count). A node's fragmentation is the
// expectation over the typical-pod distribution, in milli-GPU.
//
// It depends only on (model, free CPU, multiset of free GPU milli), so results are memoised on
// that key, and each node's current value is cached against the node's version.

import type { Snapshot } from './snapshot.js';
import type { TypicalPod } from './typical-pods.js';

/** The typical GPU pods a given model can host, as flat arrays for the inner loop. */
interface ModelTable {
  cpu: Int32Array;
  milli: Int32Array;
  num: Int32Array;
  p: Float64Array;
  /** Probability of typical pods for which every idle GPU is fragment (CPU-only, wrong model). */
  pAllIdle: number;
}

interface PerSnapshot {
  tables: ModelTable[];
  nodeVersion: Float64Array;
  nodeFrag: Float64Array;
  /** Keyed by model id, which is per snapshot, so the memo is too. */
  memo: Map<string, number>;
}

const MEMO_LIMIT = 1 << 20;

export class FragmentationMeasure {
  private readonly perSnapshot = new WeakMap<Snapshot, PerSnapshot>();
  private readonly scratch = new Int32Array(64);

  constructor(readonly typical: readonly TypicalPod[]) {}

  private state(snap: Snapshot): PerSnapshot {
    let s = this.perSnapshot.get(snap);
    if (!s) {
      s = {
        tables: snap.modelNames.map((model) => this.table(model)),
        nodeVersion: new Float64Array(snap.nodeCount).fill(-1),
        nodeFrag: new Float64Array(snap.nodeCount),
        memo: new Map(),
      };
      this.perSnapshot.set(snap, s);
    }
    return s;
  }

  private table(model: string): ModelTable {
    const usable = this.typical.filter((m) => m.gpuCount > 0 && (m.gpuModels.length === 0 || m.gpuModels.includes(model)));
    let pAllIdle = 0;
    for (const m of this.typical) if (!usable.includes(m)) pAllIdle += m.p;
    return {
      cpu: Int32Array.from(usable, (m) => m.cpuMilli),
      milli: Int32Array.from(usable, (m) => m.gpuMilli),
      num: Int32Array.from(usable, (m) => m.gpuCount),
      p: Float64Array.from(usable, (m) => m.p),
      pAllIdle,
    };
  }

  /** Fragmentation of node n as it is now. */
  nodeFrag(snap: Snapshot, n: number): number {
    const s = this.state(snap);
    const v = snap.version[n]!;
    if (s.nodeVersion[n] === v) return s.nodeFrag[n]!;
    const g = this.scratch;
    const first = snap.gpuStart[n]!;
    const count = snap.gpuCount[n]!;
    for (let j = 0; j < count; j++) g[j] = snap.gpuFree[first + j]!;
    const f = this.fragOf(s, snap.model[n]!, snap.cpuFree[n]!, g, count);
    s.nodeVersion[n] = v;
    s.nodeFrag[n] = f;
    return f;
  }

  /** Fragmentation of node n after taking `cpu` and `milli` from GPU `gpu` (global index). */
  fragAfterShare(snap: Snapshot, n: number, cpu: number, gpu: number, milli: number): number {
    const s = this.state(snap);
    const g = this.scratch;
    const first = snap.gpuStart[n]!;
    const count = snap.gpuCount[n]!;
    for (let j = 0; j < count; j++) g[j] = snap.gpuFree[first + j]!;
    g[gpu - first] = g[gpu - first]! - milli;
    return this.fragOf(s, snap.model[n]!, snap.cpuFree[n]! - cpu, g, count);
  }

  /**
   * Fragmentation of node n after taking `cpu` and `milli` from each of `gpus` GPUs, chosen as the
   * emptiest-that-fit in ascending free order (whole GPUs: `gpus` fully free ones). gpus = 0 is a
   * CPU-only request.
   */
  fragAfterWhole(snap: Snapshot, n: number, cpu: number, gpus: number, milli: number): number {
    const s = this.state(snap);
    const g = this.scratch;
    const first = snap.gpuStart[n]!;
    const count = snap.gpuCount[n]!;
    for (let j = 0; j < count; j++) g[j] = snap.gpuFree[first + j]!;
    if (gpus > 0) {
      sortPrefix(g, count);
      let left = gpus;
      for (let j = 0; j < count && left > 0; j++) {
        if (g[j]! >= milli) {
          g[j] = g[j]! - milli;
          left--;
        }
      }
    }
    return this.fragOf(s, snap.model[n]!, snap.cpuFree[n]! - cpu, g, count);
  }

  /** Fragmentation of the whole fleet (sum over nodes). */
  clusterFrag(snap: Snapshot): number {
    let f = 0;
    for (let n = 0; n < snap.nodeCount; n++) f += this.nodeFrag(snap, n);
    return f;
  }

  /**
   * Hook for measures that count more idle capacity as fragment than FGD does (see stranding.ts).
   * Gets a node state (free CPU, GPU frees sorted ascending) and FGD's value for it; FGD itself
   * returns that value unchanged. The result is memoised with the state, like FGD's.
   */
  protected extraFragment(_cpu: number, _g: Int32Array, _count: number, fgd: number): number {
    return fgd;
  }

  /** g[0..count) is scratch and may be reordered. */
  private fragOf(s: PerSnapshot, model: number, cpu: number, g: Int32Array, count: number): number {
    sortPrefix(g, count);
    let key = `${model}|${cpu}`;
    for (let j = 0; j < count; j++) key += `,${g[j]}`;
    const hit = s.memo.get(key);
    if (hit !== undefined) return hit;
    const f = this.extraFragment(cpu, g, count, fragOfSorted(s.tables[model]!, cpu, g, count));
    if (s.memo.size >= MEMO_LIMIT) s.memo.clear();
    s.memo.set(key, f);
    return f;
  }
}

/** The measure itself, on a node state with GPU frees sorted ascending. */
function fragOfSorted(t: ModelTable, cpu: number, g: Int32Array, count: number): number {
  let idle = 0;
  for (let j = 0; j < count; j++) idle += g[j]!;
  let f = t.pAllIdle * idle;
  const n = t.p.length;
  for (let m = 0; m < n; m++) {
    const p = t.p[m]!;
    if (cpu < t.cpu[m]!) {
      f += p * idle;
      continue;
    }
    // Sorted ascending: GPUs below m's size form a prefix; the rest fit m.
    const need = t.milli[m]!;
    let small = 0;
    let j = 0;
    while (j < count && g[j]! < need) small += g[j++]!;
    f += p * (count - j >= t.num[m]! ? small : idle);
  }
  return f;
}

function sortPrefix(g: Int32Array, count: number): void {
  for (let i = 1; i < count; i++) {
    const v = g[i]!;
    let j = i - 1;
    while (j >= 0 && g[j]! > v) {
      g[j + 1] = g[j]!;
      j--;
    }
    g[j + 1] = v;
  }
}
