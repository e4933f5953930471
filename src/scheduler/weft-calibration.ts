// Does counting CPU-stranded GPU capacity pay on this workload mix and this fleet? weft asks before
// it places anything (weft-policy.ts), by replaying the mix it has learned on an empty copy of the
// fleet — once with FGD's measure, once with the stranding-aware one — and keeping the stranding
// term only when it allocates more at both 100% and 130% of capacity arrived. A mix with GPU
// shares is replayed a third time with the stranding-aware measure over share-fill weights
// (share-fill.ts), kept when it allocates more than FGD at both points and, where the plain term
// does too, more than the plain term.
//
// Why a replay rather than a rule: the term wins 0.3–5 points of allocation on most mixes, but it
// loses where CPU is short for the whole mix (CPU-only tasks asking, with the GPU tasks, for more
// CPU per GPU than the fleet has, so every node ends CPU-bound whatever the placement) and where
// many tasks are tied to scarce GPU models (the term steers CPU-heavy tasks to CPU-rich hosts,
// which are the scarce models' hosts, and the tied tasks then fail). Where a mix sits between
// those depends on the fleet too; replaying the mix measures it directly. The replay is the FGD
// paper's fill: arrivals drawn from the mix until 130% of the GPU capacity has arrived, each
// placed at once or dropped, allocation read at 100% and 130%; every measure sees the same
// arrivals and tie-break order, over two seeds. Nothing here reads a trace or a clock: the verdict
// is a pure function of the mix and the fleet's hosts, and it is kept per (mix, fleet).
import { schedule, type SchedulerConfig } from './cycle.js';
import { FragmentationMeasure } from './fragmentation.js';
import { fgdGpu } from './gpu-pickers/fgd-gpu.js';
import { weftGpu } from './gpu-pickers/weft-gpu.js';
import type { Policy } from './policy.js';
import { permutation, seededRng, type Rng } from './rng.js';
import { fgdScorer } from './scorers/fgd.js';
import { weftScorer } from './scorers/weft.js';
import { Snapshot, type NodeInput } from './snapshot.js';
import { hasShares, shareFillWeighted } from './share-fill.js';
import { StrandingAwareFragmentation } from './stranding.js';
import type { TypicalPod } from './typical-pods.js';
import type { GangRequest, GpuDemand } from './types.js';

/** The stranding term (and share-fill over it) must win by this much (allocation %, both points) to be kept. */
export const STRANDING_MARGIN = 0.05;
/** Larger fleets are replayed on a sample of this many hosts, every kind of host kept. */
const MAX_NODES = 2000;
const SEEDS = [1, 2];

/** FGD's own policy, and weft's with the stranding term: the two the replay compares. */
export function fgdVariant(typical: readonly TypicalPod[], name = 'fgd'): Policy {
  const measure = new FragmentationMeasure(typical);
  return { name, scorers: [{ scorer: { ...fgdScorer(measure), name }, weight: 1 }], sharePicker: fgdGpu(measure), selection: 'max-score' };
}

export function strandingVariant(typical: readonly TypicalPod[], name = 'weft'): Policy {
  const measure = new StrandingAwareFragmentation(typical);
  return { name, scorers: [{ scorer: weftScorer(measure), weight: 1 }], sharePicker: weftGpu(measure), selection: 'max-score' };
}

/** The stranding variant with share-fill weights (share-fill.ts) for its measure. */
export function shareFillVariant(typical: readonly TypicalPod[], name = 'weft'): Policy {
  return strandingVariant(shareFillWeighted(typical), name);
}

export interface StrandingVerdict {
  /** Place with the stranding-aware measure (the term alone, or under share fill). */
  pays: boolean;
  /** Place with share-fill weights on top of the term (only where `pays`). */
  shareFill: boolean;
  /** Mean allocation % at 100% and 130% arrived, over the seeds, per measure (share-fill: [0, 0] when not replayed). */
  fgd: [number, number];
  stranding: [number, number];
  shareFillPoints: [number, number];
  /** Hosts replayed (a sample of larger fleets). */
  nodes: number;
}

/** The fleet's hosts as empty node inputs; a fleet over MAX_NODES is sampled per kind of host. */
function emptyHosts(snap: Snapshot): NodeInput[] {
  const kinds = new Map<string, number[]>();
  for (let n = 0; n < snap.nodeCount; n++) {
    let k = `${snap.cpuCap[n]}|${snap.memCap[n]}|${snap.model[n]}|${snap.site[n]}|`;
    for (let g = snap.gpuStart[n]!; g < snap.gpuStart[n + 1]!; g++) k += snap.gpuMig[g];
    let list = kinds.get(k);
    if (!list) kinds.set(k, (list = []));
    list.push(n);
  }
  const keep = Math.min(1, MAX_NODES / snap.nodeCount);
  const out: NodeInput[] = [];
  for (const list of kinds.values()) {
    for (const n of list.slice(0, Math.max(1, Math.round(list.length * keep)))) out.push(snap.emptyInput(n));
  }
  return out;
}

/** Allocation % at 100% and 130% arrived, as the FGD paper reads its curves (mean over the events there). */
class TwoPoints {
  private readonly sum = [0, 0, 0, 0, 0, 0];
  private readonly count = [0, 0, 0, 0, 0, 0];
  constructor(private readonly capacity: number) {}
  record(arrived: number, allocated: number): void {
    const k = Math.round((100 * arrived) / this.capacity);
    const slot = k >= 99 && k <= 101 ? k - 99 : k >= 129 && k <= 131 ? k - 126 : -1;
    if (slot < 0) return;
    this.sum[slot]! += (100 * allocated) / this.capacity;
    this.count[slot]!++;
  }
  at(center: number): number {
    const s = center === 100 ? 1 : 4;
    if (this.count[s]! > 0) return this.sum[s]! / this.count[s]!;
    const c = this.count[s - 1]! + this.count[s + 1]!;
    return c > 0 ? (this.sum[s - 1]! + this.sum[s + 1]!) / c : 0;
  }
}

function demandOf(m: TypicalPod): GpuDemand {
  if (m.gpuCount === 0 || m.gpuMilli === 0) return { kind: 'none' };
  if (m.gpuMilli < 1000 && m.gpuCount === 1) return { kind: 'share', milli: m.gpuMilli };
  return { kind: 'whole', count: m.gpuCount };
}

/** One fill, resumable: arrivals drawn from the mix until 130% of the GPU capacity has arrived. */
class Fill {
  private readonly rng: Rng;
  private readonly policyRng: Rng;
  private readonly snap: Snapshot;
  private readonly cum: number[] = [];
  private readonly total: number;
  private readonly curve: TwoPoints;
  private readonly config: SchedulerConfig;
  private readonly limit: number;
  private arrived = 0;
  private i = 0;

  constructor(
    hosts: readonly NodeInput[],
    private readonly mix: readonly TypicalPod[],
    policy: Policy,
    seed: number,
  ) {
    this.rng = seededRng(seed);
    this.snap = new Snapshot(hosts);
    this.snap.setRanks(permutation(hosts.length, this.rng));
    let total = 0;
    for (const m of mix) this.cum.push((total += m.p));
    this.total = total;
    this.curve = new TwoPoints(this.snap.gpuMilliCap);
    this.config = { policy, explain: false };
    this.policyRng = seededRng(seed ^ 0x5bd1e995);
    this.limit = 50 * hosts.length + 10_000; // bounds a mix whose GPU shapes are very rare
  }

  get done(): boolean {
    return this.arrived >= 1.3 * this.snap.gpuMilliCap || this.i >= this.limit;
  }

  /** Places up to `n` more arrivals; returns how many it placed (or dropped). */
  advance(n: number): number {
    const snap = this.snap;
    let k = 0;
    for (; k < n && !this.done; k++) {
      const x = this.rng.nextFloat() * this.total;
      let lo = 0;
      let hi = this.cum.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (this.cum[mid]! > x) hi = mid;
        else lo = mid + 1;
      }
      const m = this.mix[lo]!;
      const gang: GangRequest = { id: `t${this.i}`, replicas: 1, resources: { cpuMilli: m.cpuMilli, memoryBytes: 0, gpu: demandOf(m), gpuModels: m.gpuModels } };
      this.arrived += m.gpuCount * m.gpuMilli;
      schedule(snap, [gang], this.config, this.i++, this.policyRng);
      snap.commit();
      this.curve.record(this.arrived, snap.gpuMilliCap - snap.gpuMilliFree);
    }
    return k;
  }

  points(): [number, number] {
    return [this.curve.at(100), this.curve.at(130)];
  }
}

/**
 * The replay behind a verdict, in steps a caller can spread out (the live loop gives it a few
 * milliseconds per cycle): every measure, both seeds, one fill each.
 */
export class StrandingTrial {
  private readonly fgdRuns: Fill[] = [];
  private readonly termRuns: Fill[] = [];
  private readonly shareFillRuns: Fill[] = [];
  private readonly nodes: number;
  private result: StrandingVerdict | undefined;

  constructor(mix: readonly TypicalPod[], typical: readonly TypicalPod[], snap: Snapshot) {
    const hosts = emptyHosts(snap);
    this.nodes = hosts.length;
    if (!mix.some((m) => m.gpuCount > 0 && m.gpuMilli > 0) || snap.gpuMilliCap === 0) {
      this.result = { pays: false, shareFill: false, fgd: [0, 0], stranding: [0, 0], shareFillPoints: [0, 0], nodes: hosts.length };
      return;
    }
    for (const seed of SEEDS) {
      this.fgdRuns.push(new Fill(hosts, mix, fgdVariant(typical), seed));
      this.termRuns.push(new Fill(hosts, mix, strandingVariant(typical), seed));
      if (hasShares(typical)) this.shareFillRuns.push(new Fill(hosts, mix, shareFillVariant(typical), seed));
    }
  }

  /** Places up to `arrivals` more arrivals; returns the verdict once every fill is done. */
  step(arrivals: number): StrandingVerdict | undefined {
    if (this.result) return this.result;
    const all = [...this.fgdRuns, ...this.termRuns, ...this.shareFillRuns];
    let left = arrivals;
    for (const f of all) {
      if (left <= 0) break;
      if (!f.done) left -= f.advance(left);
    }
    if (all.some((f) => !f.done)) return undefined;
    const mean = (runs: Fill[]): [number, number] =>
      runs.length === 0 ? [0, 0] : ([0, 1].map((k) => runs.reduce((s, r) => s + r.points()[k]!, 0) / runs.length) as [number, number]);
    const wins = (a: [number, number], b: [number, number]) => a[0] - b[0] >= STRANDING_MARGIN && a[1] - b[1] >= STRANDING_MARGIN;
    const fgd = mean(this.fgdRuns);
    const stranding = mean(this.termRuns);
    const shareFillPoints = mean(this.shareFillRuns);
    // Share fill (which has the term under it) is kept where it beats FGD, and the plain term too
    // where that beats FGD as well; the term alone where it beats FGD and share fill does not win.
    const termPays = wins(stranding, fgd);
    const shareFill = this.shareFillRuns.length > 0 && wins(shareFillPoints, fgd) && (!termPays || wins(shareFillPoints, stranding));
    const pays = termPays || shareFill;
    this.result = { pays, shareFill, fgd, stranding, shareFillPoints, nodes: this.nodes };
    return this.result;
  }
}

/** Replays the mix on the fleet with each measure and compares, in one go. */
export function judgeStranding(mix: readonly TypicalPod[], typical: readonly TypicalPod[], snap: Snapshot): StrandingVerdict {
  return new StrandingTrial(mix, typical, snap).step(Infinity)!;
}

// Verdicts per (mix, fleet), so runs on the same workload and fleet replay once per process.
const verdicts = new Map<string, StrandingVerdict>();

function fleetKey(snap: Snapshot): string {
  const kinds = new Map<string, number>();
  for (let n = 0; n < snap.nodeCount; n++) {
    let k = `${snap.cpuCap[n]}/${snap.memCap[n]}/${snap.modelNames[snap.model[n]!]}/${snap.siteNames[snap.site[n]!]}/`;
    for (let g = snap.gpuStart[n]!; g < snap.gpuStart[n + 1]!; g++) k += snap.gpuMig[g];
    kinds.set(k, (kinds.get(k) ?? 0) + 1);
  }
  return [...kinds].map(([k, c]) => `${k}*${c}`).sort().join(';');
}

export function mixKey(mix: readonly TypicalPod[]): string {
  return mix.map((m) => `${m.cpuMilli}:${m.gpuMilli}:${m.gpuCount}:${m.gpuModels.join('|')}:${m.p.toFixed(4)}`).join(',');
}

/** The verdict for this mix on this fleet, replayed once and then remembered. */
export function strandingVerdict(mix: readonly TypicalPod[], typical: readonly TypicalPod[], snap: Snapshot): StrandingVerdict {
  const key = `${mixKey(mix)}#${mixKey(typical)}#${fleetKey(snap)}`;
  let v = verdicts.get(key);
  if (!v) {
    if (verdicts.size >= 64) verdicts.clear();
    v = judgeStranding(mix, typical, snap);
    verdicts.set(key, v);
  }
  return v;
}
