// The load knob of `weft sim replay --load`: a trace replayed on its own clock may never load the
// fleet (the Alibaba default trace offers 0.23% of its GPU capacity over its 149 days), so it
// cannot tell policies apart. Offered GPU load is the classic one, arrival rate × work per
// arrival ÷ capacity:
//
//   load = Σ gangs (GPUs × run time) / (fleet GPUs × (last arrival − first arrival))
//
// Three ways to reach a target:
//   arrivals   every gap between arrivals is multiplied by one factor: order, bursts, run times stay;
//   durations  every run time is multiplied by one factor: arrival times stay;
//   poisson    the gangs keep their order and run times but arrive as a Poisson process (seeded)
//              at the rate that offers the target: a steady load instead of the trace's bursts.
// Gangs that run until the end (no run time) count for nothing here. The first two keep the
// trace's shape in time, and so its limits: the Alibaba traces bring 90% of their pods in the last
// 30 of 149 days and ask, all together, for 98% of the fleet, and half the default trace's GPU-time
// is 14 pods still running at capture — so however the clock is scaled the fleet holds a few
// percent while gangs arrive. `poisson` with more arrivals than the trace has (extendArrivals:
// its own gangs again, drawn with replacement) and run times capped (a run caught still going is
// only a lower bound) is what loads the fleet as asked.
import { ValidationError } from '../../model/errors.js';
import { seededRng, type Rng } from '../../scheduler/index.js';
import { askedGpus } from './delta.js';
import type { ReplayGang } from './types.js';

export type LoadBy = 'arrivals' | 'durations' | 'poisson';

export interface ScaledLoad {
  gangs: ReplayGang[];
  /** Offered load of the input and of the result (1 = the fleet's whole GPU capacity). */
  offeredBefore: number;
  offeredAfter: number;
  /** What arrival gaps or run times were multiplied by; for poisson, the mean gap in seconds. */
  factor: number;
  by: LoadBy;
}

export function offeredLoad(gangs: readonly ReplayGang[], capacityGpus: number): number {
  let first = Infinity;
  let last = -Infinity;
  let gpuMs = 0;
  for (const g of gangs) {
    first = Math.min(first, g.submitAt);
    last = Math.max(last, g.submitAt);
    if (g.durationMs !== null) gpuMs += askedGpus(g.gang) * g.gang.replicas * g.durationMs;
  }
  const span = last - first;
  return span > 0 && capacityGpus > 0 ? gpuMs / (capacityGpus * span) : Infinity;
}

export function scaleToLoad(gangs: readonly ReplayGang[], capacityGpus: number, target: number, by: LoadBy = 'arrivals', seed = 1): ScaledLoad {
  if (!(target > 0 && target <= 100)) throw ValidationError.field('load', `must be a positive fraction of capacity (1 = 100%), got ${target}`);
  const before = offeredLoad(gangs, capacityGpus);
  if (before === Infinity && by !== 'poisson') throw ValidationError.field('load', 'every gang arrives at the same instant: there is no arrival window to load');
  const gpuMs = gangs.reduce((s, g) => s + (g.durationMs === null ? 0 : askedGpus(g.gang) * g.gang.replicas * g.durationMs), 0);
  if (!(gpuMs > 0)) throw ValidationError.field('load', 'no gang has a GPU request with a known run time: nothing to scale');
  const first = Math.min(...gangs.map((g) => g.submitAt));
  let scaled: ReplayGang[];
  let factor: number;
  if (by === 'poisson') {
    // The window that offers the target, split into exponential gaps (normalised to fill it exactly).
    const span = gpuMs / (capacityGpus * target);
    const order = gangs.map((g, i) => ({ g, i })).sort((a, b) => a.g.submitAt - b.g.submitAt || a.i - b.i);
    const rng = seededRng(seed);
    const gaps = order.map(() => -Math.log(1 - rng.nextFloat()));
    const total = gaps.slice(1).reduce((a, b) => a + b, 0) || 1;
    let t = 0;
    scaled = order.map(({ g }, k) => {
      if (k > 0) t += (gaps[k]! / total) * span;
      return { ...g, submitAt: first + Math.round(t) };
    });
    factor = span / 1000 / Math.max(1, gangs.length - 1); // mean gap, seconds
  } else {
    // Load is inversely proportional to the arrival window and proportional to run times.
    factor = by === 'arrivals' ? before / target : target / before;
    scaled = gangs.map((g): ReplayGang =>
      by === 'arrivals'
        ? { ...g, submitAt: first + Math.round((g.submitAt - first) * factor) }
        : { ...g, durationMs: g.durationMs === null ? null : Math.round(g.durationMs * factor) },
    );
  }
  return { gangs: scaled, offeredBefore: before, offeredAfter: offeredLoad(scaled, capacityGpus), factor, by };
}

/**
 * The gangs, then copies of them drawn with replacement (seeded) until there are `count`, named
 * `<id>-copy-<k>` and arriving after the last original, in draw order (poisson re-times them).
 */
export function extendArrivals(gangs: readonly ReplayGang[], count: number, seed = 1): ReplayGang[] {
  if (count <= gangs.length || gangs.length === 0) return [...gangs];
  const rng: Rng = seededRng(seed ^ 0x2545f491);
  const last = Math.max(...gangs.map((g) => g.submitAt));
  const out = [...gangs];
  for (let k = 0; out.length < count; k++) {
    const g = gangs[rng.int(gangs.length)]!;
    out.push({ ...g, submitAt: last + k + 1, gang: { ...g.gang, id: `${g.gang.id}-copy-${k}` } });
  }
  return out;
}
