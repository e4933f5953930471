// The placement policy the live loop schedules with. FGD and weft measure fragmentation against
// the "typical pods" of the workload; a live fleet has no trace to take them from, so they are
// learned online from the demand shapes the loop has seen (a sliding window), and the policy is
// rebuilt when the distribution has moved (checked every few dozen new shapes). The live loop
// also breaks ties by image locality (nodes that already hold a replica's image); the
// simulator's experiments do not.
//
// weft also decides, per learned mix and fleet, whether its CPU-stranding term (and share-fill
// weights over it) pays, by replaying the mix on an empty copy of the fleet
// (scheduler/weft-calibration.ts). That replay takes seconds on a large fleet, so here it runs in
// slices of a few milliseconds per cycle (at most a tenth of the loop's time); until it answers,
// weft keeps the last verdict (the term, at first).
import { createPolicy, StrandingTrial, typicalPods, type Policy, type PodShape, type Snapshot, type TypicalPod } from '../scheduler/index.js';

const NEEDS_TYPICAL = new Set(['fgd', 'weft']);
/**
 * How far the learned mix must move (total variation distance between the typical set the policy
 * was built from and the new one) before the policy is rebuilt and weft's replay asked again. A
 * window of 2,000 shapes drawn from an unchanging mix still wobbles by ~0.03–0.04 from sampling
 * alone, and the 95% cut can add or drop a rare shape; comparing probabilities to two decimals
 * rebuilt the policy every few cycles and restarted the replay before it could ever answer (it
 * needs many cycles on a large fleet), so its 15 ms a cycle were spent for nothing.
 */
const MIX_MOVED = 0.1;
/**
 * Wall-clock time a cycle gives the weft replay at most, the share of the loop's time it may take
 * (back-to-back cycles under a stream of submissions give it less each), and arrivals per slice.
 */
const TRIAL_BUDGET_MS = 15;
const TRIAL_SHARE = 0.1;
const TRIAL_SLICE = 100;

export class PolicySource {
  private readonly window: PodShape[] = [];
  private next = 0;
  private sinceBuild = 0;
  private policy: Policy | undefined;
  /** The typical set the policy was built from: rebuilding drops the scheduler's score caches. */
  private typical: TypicalPod[] = [];
  /** weft: keep the stranding term (the last verdict), and the replay deciding the next one. */
  private stranding = true;
  private shareFill = false;
  private trial: StrandingTrial | undefined;
  private trialWanted = false;
  /** When the replay's last slice ended. */
  private sliceEnded = -Infinity;

  constructor(
    readonly name: string,
    private readonly windowSize = 2000,
  ) {
    if (!NEEDS_TYPICAL.has(name)) this.policy = createPolicy(name, { imageLocality: true });
  }

  /** Records one replica shape seen in a demand. */
  observe(shape: PodShape, replicas = 1): void {
    if (!NEEDS_TYPICAL.has(this.name)) return;
    for (let i = 0; i < Math.min(replicas, 64); i++) {
      if (this.window.length < this.windowSize) this.window.push(shape);
      else this.window[this.next] = shape;
      this.next = (this.next + 1) % this.windowSize;
      this.sinceBuild++;
    }
  }

  /** The policy for this cycle; undefined only when it needs shapes and none were seen. */
  current(): Policy | undefined {
    if (!NEEDS_TYPICAL.has(this.name)) return this.policy;
    if (this.window.length === 0) return undefined;
    if (!this.policy || this.sinceBuild >= Math.max(50, this.window.length / 10)) {
      this.sinceBuild = 0;
      const typical = typicalPods(this.window);
      if (!this.policy || mixDistance(this.typical, typical) > MIX_MOVED) {
        this.typical = typical;
        this.policy = this.build();
        // The mix moved: weft asks again whether its term pays (a replay already running is dropped).
        this.trialWanted = this.name === 'weft';
        this.trial = undefined;
      }
    }
    return this.policy;
  }

  /** weft: advances the replay on this fleet for a few milliseconds; adopts its verdict when it has one. */
  calibrate(snap: Snapshot): void {
    if (this.name !== 'weft' || (!this.trial && !this.trialWanted)) return;
    this.trial ??= new StrandingTrial(typicalPods(this.window, 1), this.typical, snap);
    this.trialWanted = false;
    const start = performance.now();
    const until = start + Math.min(TRIAL_BUDGET_MS, Math.max(1, TRIAL_SHARE * (start - this.sliceEnded)));
    try {
      this.slice(this.trial, until);
    } finally {
      this.sliceEnded = performance.now();
    }
  }

  private slice(trial: StrandingTrial, until: number): void {
    while (performance.now() < until) {
      const verdict = trial.step(TRIAL_SLICE);
      if (!verdict) continue;
      this.trial = undefined;
      if (verdict.pays !== this.stranding || verdict.shareFill !== this.shareFill) {
        this.stranding = verdict.pays;
        this.shareFill = verdict.shareFill;
        this.policy = this.build();
      }
      return;
    }
  }

  private build(): Policy {
    return createPolicy(this.name, { typicalPods: this.typical, imageLocality: true, ...(this.name === 'weft' ? { stranding: this.stranding, shareFill: this.shareFill } : {}) });
  }
}

const shapeKey = (t: TypicalPod): string => `${t.cpuMilli}:${t.gpuMilli}:${t.gpuCount}:${t.gpuModels.join('|')}`;

/** Total variation distance between two typical sets (a shape missing from one has probability 0 there). */
export function mixDistance(a: readonly TypicalPod[], b: readonly TypicalPod[]): number {
  const diff = new Map<string, number>();
  for (const t of a) diff.set(shapeKey(t), (diff.get(shapeKey(t)) ?? 0) + t.p);
  for (const t of b) diff.set(shapeKey(t), (diff.get(shapeKey(t)) ?? 0) - t.p);
  let sum = 0;
  for (const d of diff.values()) sum += Math.abs(d);
  return sum / 2;
}
