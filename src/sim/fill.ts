// The fill experiment of the FGD paper (ATC'23), on any fleet and workload: the fleet starts
// empty, gangs arrive one by one and stay forever or fail and are dropped, until the arrived GPU
// request reaches `tune` × fleet capacity. The result is the allocation-vs-arrival curve.
//
// Every random draw before scheduling (shuffle, tuning, tie-break order) depends only on the seed
// and the workload, so all policies see the same arrivals and tie-break order for a seed.

import { createPolicy, permutation, schedule, seededRng, shuffleInPlace, Snapshot, typicalPods, type Rng, type TypicalPod } from '../scheduler/index.js';
import { CurveBuilder } from './curve.js';
import { fleetGpuMilli, type SimPod, type Workload } from './workload.js';

export interface FillOptions {
  policy: string;
  seed: number;
  /** Target arrived GPU request as a multiple of fleet capacity (1.3 in the paper). */
  tune: number;
  /** Defaults to the typical pods of the workload's original (untuned) pods. */
  typical?: readonly TypicalPod[];
  /** The whole shape distribution of the original pods (weft replays it); defaults to it, computed. */
  mix?: readonly TypicalPod[];
  /** weft: its verdict on the stranding term, when already known for this workload and fleet. */
  stranding?: boolean;
  /** weft, with `stranding`: its verdict on share-fill weights. */
  shareFill?: boolean;
}

export interface FillResult {
  policy: string;
  seed: number;
  /** Allocation % at arrival columns 0..130. */
  columns: number[];
  arrivals: number;
  placed: number;
  failed: number;
  /** Final arrived and allocated milli-GPU. */
  arrivedMilli: number;
  allocatedMilli: number;
}

/** Arrival order for a seed: name-sorted, shuffled, then tuned to the target GPU request. */
export function arrivalOrder(pods: readonly SimPod[], capacityMilli: number, tune: number, rng: Rng): SimPod[] {
  const original = [...pods].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const list = shuffleInPlace([...original], rng);
  const target = tune * capacityMilli;
  let sum = 0;
  for (const p of list) sum += p.requestMilli;
  if (sum < target) {
    // Resample originals until the next one would pass the target. Like the reference, the stop
    // test uses the per-GPU milli, so a final multi-GPU copy may overshoot slightly.
    for (let i = 0; list.length < 50 * original.length + 1000; i++) {
      const u = original[rng.int(original.length)]!;
      if (sum + u.milliPerGpu > target) break;
      list.push({ ...u, name: `${u.name}-tuned-${i}`, gang: { ...u.gang, id: `${u.gang.id}-tuned-${i}` } });
      sum += u.requestMilli;
    }
  } else {
    while (sum > target && list.length > 0) {
      const [removed] = list.splice(rng.int(list.length), 1);
      sum -= removed!.requestMilli;
    }
  }
  return list;
}

/** Node tie-break ranks: nodes in name order get a random permutation of 0..n-1. */
export function tieBreakRanks(names: readonly string[], rng: Rng): Int32Array {
  const byName = names.map((_, i) => i).sort((a, b) => (names[a]! < names[b]! ? -1 : names[a]! > names[b]! ? 1 : 0));
  const perm = permutation(names.length, rng);
  const ranks = new Int32Array(names.length);
  byName.forEach((node, i) => (ranks[node] = perm[i]!));
  return ranks;
}

export function runFill(workload: Workload, opts: FillOptions): FillResult {
  const capacity = fleetGpuMilli(workload.nodes);
  if (capacity === 0) throw new Error('the fleet has no GPUs');
  const typical = opts.typical ?? typicalPods(workload.pods.map((p) => p.shape));
  const mix = opts.mix ?? typicalPods(workload.pods.map((p) => p.shape), 1);
  const policy = createPolicy(opts.policy, { typicalPods: typical, mix, ...(opts.stranding !== undefined ? { stranding: opts.stranding, shareFill: opts.shareFill ?? false } : {}) });
  const rng = seededRng(opts.seed);
  const arrivals = arrivalOrder(workload.pods, capacity, opts.tune, rng);
  const snap = new Snapshot(workload.nodes);
  snap.setRanks(tieBreakRanks(snap.nodeNames, rng));
  // The random policy draws from its own stream so that the arrivals above stay policy-independent.
  const policyRng = seededRng(opts.seed ^ 0x5bd1e995);
  const config = { policy, explain: false };
  const curve = new CurveBuilder(capacity / 1000);
  let arrived = 0;
  let placed = 0;
  for (let i = 0; i < arrivals.length; i++) {
    const pod = arrivals[i]!;
    arrived += pod.requestMilli;
    const { decisions } = schedule(snap, [pod.gang], config, i, policyRng);
    if (decisions[0]!.placed) placed++;
    snap.commit();
    curve.record(arrived, snap.gpuMilliCap - snap.gpuMilliFree);
  }
  return {
    policy: opts.policy,
    seed: opts.seed,
    columns: Array.from(curve.columns()),
    arrivals: arrivals.length,
    placed,
    failed: arrivals.length - placed,
    arrivedMilli: arrived,
    allocatedMilli: snap.gpuMilliCap - snap.gpuMilliFree,
  };
}
