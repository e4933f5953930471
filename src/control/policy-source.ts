// The placement policy the live loop schedules with. FGD and weft measure fragmentation against
// the "typical pods" of the workload; a live fleet has no trace to take them from, so they are
// learned online from the demand shapes the loop has seen (a sliding window), and the policy is
// rebuilt when the distribution has moved (checked every few dozen new shapes). The live loop
// also breaks ties by image locality (nodes that already hold a replica's image); the
// simulator's experiments do not.
//
// weft also decides, per learned mix and fleet, whether its CPU-stranding term (and share-fill
// weights over it) pays, by replaying the mix on an empty copy of the fleet
// (scheduler/weft-calibration.ts). That replay takes seconds
// on a large fleet, so here it runs in slices of a few milliseconds per cycle; until it answers,
// weft keeps the last verdict (the term, at first).
import { createPolicy, StrandingTrial, typicalPods, type Policy, type PodShape, type Snapshot, type TypicalPod } from '../scheduler/index.js';

const NEEDS_TYPICAL = new Set(['fgd', 'weft']);
/** Wall-clock time a cycle gives the weft replay, and arrivals per slice of it. */
const TRIAL_BUDGET_MS = 15;
const TRIAL_SLICE = 100;

export class PolicySource {
  private readonly window: PodShape[] = [];
  private next = 0;
  private sinceBuild = 0;
  private policy: Policy | undefined;
  /** The typical set the policy was built from, coarsened: rebuilding drops the scheduler's score caches. */
  private builtFrom = '';
  private typical: TypicalPod[] = [];
  /** weft: keep the stranding term (the last verdict), and the replay deciding the next one. */
  private stranding = true;
  private shareFill = false;
  private trial: StrandingTrial | undefined;
  private trialWanted = false;

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
      const key = typical.map((t) => `${t.cpuMilli}:${t.gpuMilli}:${t.gpuCount}:${t.gpuModels.join('|')}:${t.p.toFixed(2)}`).join(',');
      if (!this.policy || key !== this.builtFrom) {
        this.typical = typical;
        this.policy = this.build();
        this.builtFrom = key;
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
    if (!this.trial) {
      this.trial = new StrandingTrial(typicalPods(this.window, 1), this.typical, snap);
      this.trialWanted = false;
    }
    const until = performance.now() + TRIAL_BUDGET_MS;
    while (performance.now() < until) {
      const verdict = this.trial.step(TRIAL_SLICE);
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
