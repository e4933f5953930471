// The placement policy the live loop schedules with. FGD and weft measure fragmentation against
// the "typical pods" of the workload; a live fleet has no trace to take them from, so they are
// learned online from the demand shapes the loop has seen (a sliding window), and the policy is
// rebuilt when the distribution has moved (checked every few dozen new shapes).
import { createPolicy, typicalPods, type Policy, type PodShape } from '../scheduler/index.js';

const NEEDS_TYPICAL = new Set(['fgd', 'weft']);

export class PolicySource {
  private readonly window: PodShape[] = [];
  private next = 0;
  private sinceBuild = 0;
  private policy: Policy | undefined;
  /** The typical set the policy was built from, coarsened: rebuilding drops the scheduler's score caches. */
  private builtFrom = '';

  constructor(
    readonly name: string,
    private readonly windowSize = 2000,
  ) {
    if (!NEEDS_TYPICAL.has(name)) this.policy = createPolicy(name);
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
        this.policy = createPolicy(this.name, { typicalPods: typical });
        this.builtFrom = key;
      }
    }
    return this.policy;
  }
}
