// MIG mix experiment: does placing each MIG instance where it keeps the most future profiles
// admit more work than first-fit? A seeded random stream of MIG requests is fed to an empty
// fleet of MIG-mode GPUs, one request at a time, and we count how many are admitted before the
// first one that fits nowhere. Each admitted instance leaves again after a random number of
// later arrivals, so the fleet churns at a steady offered load the way a shared inference fleet
// does; that churn is what leaves holes, and where holes are left is what placement decides.
// (Without departures both rules simply fill the fleet to the brim; `departures: false` shows
// that.) Same stream, same fleet, only the rule differs, so a seed reproduces both numbers.

import { migMilli } from '../model/allocation-rules.js';
import { findMigSlotInFleet, type MigRule } from '../scheduler/mig.js';
import { compileReplica, type ReplicaShape } from '../scheduler/request.js';
import { seededRng, type Rng } from '../scheduler/rng.js';
import { Snapshot, SHAPE_MIG, type NodeDelta, type NodeInput } from '../scheduler/snapshot.js';
import { gpuModelInfo, MIG_SLOTS, migProfileOn, migProfileShape } from '../model/gpu-catalog.js';

export interface MigMixOptions {
  seeds: readonly number[];
  /** GPU model of every GPU (must have MIG profiles in the catalog). */
  model?: string;
  nodes?: number;
  gpusPerNode?: number;
  /** Profile → relative frequency in the request stream. */
  mix?: Readonly<Record<string, number>>;
  /**
   * Offered load: mean memory slices held by live instances over the fleet's slices. Lifetimes
   * are uniform in 1..2L arrivals with L chosen to give this load. Default 0.7.
   */
  load?: number;
  /** false: instances never leave (a pure fill). Default true. */
  departures?: boolean;
  /** Arrivals per seed at most; a run with no rejection by then counts this many. Default 20000. */
  maxArrivals?: number;
}

export interface MigMixRun {
  seed: number;
  /** Requests admitted before the first rejection, per rule. */
  keepMost: number;
  firstFit: number;
}

export interface MigMixResult {
  runs: MigMixRun[];
  meanKeepMost: number;
  meanFirstFit: number;
}

/**
 * Mostly small instances with a tail of large ones, as inference and notebook fleets see:
 * frequency by (compute slices, memory slices), so the same mix applies to every MIG model.
 */
const MIX_BY_SHAPE: readonly (readonly [number, number, number])[] = [
  [1, 1, 35],
  [1, 2, 10],
  [2, 2, 20],
  [3, 4, 20],
  [4, 4, 10],
  [7, 8, 5],
];

/** The default mix named in `model`'s own profiles (1g.10gb … 7g.80gb on an H100-80GB). */
export function defaultMigMix(model: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [g, width, weight] of MIX_BY_SHAPE) {
    const p = gpuModelInfo(model)?.migProfiles.find((x) => x.computeSlices === g && x.width === width && !x.media);
    if (p) out[p.name] = weight;
  }
  return out;
}

const GIB = 1024 ** 3;

function fleet(model: string, nodes: number, gpusPerNode: number): NodeInput[] {
  const all = Array.from({ length: gpusPerNode }, (_, j) => j);
  return Array.from({ length: nodes }, (_, i) => ({
    name: `mig-${i}`,
    cpuMilli: 128_000,
    memoryBytes: 1024 * GIB,
    gpus: gpusPerNode,
    gpuModel: model,
    migGpus: all,
  }));
}

/** Weighted draw of a profile name. */
function drawProfile(rng: Rng, names: readonly string[], cumulative: readonly number[]): string {
  const x = rng.nextFloat() * cumulative[cumulative.length - 1]!;
  for (let i = 0; i < names.length; i++) if (x < cumulative[i]!) return names[i]!;
  return names[names.length - 1]!;
}

export interface MigArrival {
  profile: string;
  /** Arrivals after this one at which the instance leaves (Infinity: never). */
  lifetime: number;
}

/** Requests admitted under `rule` before the first that fits nowhere (or all of them). */
export function admittedBeforeRejection(nodes: readonly NodeInput[], stream: readonly MigArrival[], rule: MigRule): number {
  const snap = new Snapshot(nodes);
  const shapes = new Map<string, ReplicaShape>();
  const leaving = new Map<number, { node: number; delta: NodeDelta }[]>();
  for (let i = 0; i < stream.length; i++) {
    for (const x of leaving.get(i) ?? []) snap.release(x.node, x.delta);
    leaving.delete(i);
    snap.commit(); // nothing here is ever rolled back; keep the journal from growing
    const { profile, lifetime } = stream[i]!;
    let req = shapes.get(profile);
    if (!req) {
      req = compileReplica(snap, { resources: { cpuMilli: 0, memoryBytes: 0, gpu: { kind: 'mig', profile } } });
      shapes.set(profile, req);
    }
    const slot = findMigSlotInFleet(snap, req, rule);
    if (slot.gpu < 0) return i;
    const delta: NodeDelta = { cpuMilli: 0, memoryBytes: 0, gpus: [slot.gpu], milliPerGpu: 0, migMask: slot.mask, migMilli: migMilli(profile), shapeClass: SHAPE_MIG };
    snap.assume(slot.node, delta);
    if (Number.isFinite(lifetime)) {
      const at = i + lifetime;
      const list = leaving.get(at);
      if (list) list.push({ node: slot.node, delta });
      else leaving.set(at, [{ node: slot.node, delta }]);
    }
  }
  return stream.length;
}

/** The seeded request stream both rules see. */
export function migStream(seed: number, o: Omit<MigMixOptions, 'seeds'>, slotsInFleet: number): MigArrival[] {
  const model = o.model ?? 'H100-80GB';
  const mix = o.mix ?? defaultMigMix(model);
  const names = Object.keys(mix);
  const cumulative: number[] = [];
  let sum = 0;
  let meanWidth = 0;
  for (const n of names) {
    cumulative.push((sum += mix[n]!));
    meanWidth += mix[n]! * ((migProfileOn(model, n) ?? migProfileShape(n))?.width ?? 1);
  }
  meanWidth /= sum;
  // Little's law: live instances ≈ mean lifetime (in arrivals), so L = load × slots / mean width.
  const meanLife = Math.max(1, Math.round(((o.load ?? 0.7) * slotsInFleet) / meanWidth));
  const departures = o.departures ?? true;
  // Without departures every request takes at least one slice, so this many always ends in a rejection.
  const length = departures ? (o.maxArrivals ?? 20_000) : slotsInFleet + 1;
  const rng = seededRng(seed);
  return Array.from({ length }, () => ({
    profile: drawProfile(rng, names, cumulative),
    lifetime: departures ? 1 + rng.int(2 * meanLife) : Infinity,
  }));
}

export function runMigMix(o: MigMixOptions): MigMixResult {
  const gpusPerNode = o.gpusPerNode ?? 8;
  const nodes = fleet(o.model ?? 'H100-80GB', o.nodes ?? 4, gpusPerNode);
  const slots = nodes.length * gpusPerNode * MIG_SLOTS;
  const runs = o.seeds.map((seed) => {
    const stream = migStream(seed, o, slots);
    return { seed, keepMost: admittedBeforeRejection(nodes, stream, 'keep-most'), firstFit: admittedBeforeRejection(nodes, stream, 'first-fit') };
  });
  const mean = (f: (r: MigMixRun) => number) => runs.reduce((a, r) => a + f(r), 0) / Math.max(1, runs.length);
  return { runs, meanKeepMost: mean((r) => r.keepMost), meanFirstFit: mean((r) => r.firstFit) };
}
