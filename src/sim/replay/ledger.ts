// GPU-time accounting for a replay: GPUs held per queue as a step function of virtual time,
// integrated exactly (no sampling error), then averaged into fixed-width timeline buckets.
import type { TimelinePoint } from './types.js';

interface Step {
  t: number;
  held: Float64Array;
  pending: number;
  running: number;
}

export class Ledger {
  private readonly steps: Step[] = [];
  private readonly held: Float64Array;
  /** GPU-ms per queue so far. */
  readonly gpuMs: Float64Array;
  private last = 0;
  pending = 0;
  running = 0;

  constructor(readonly queueCount: number) {
    this.held = new Float64Array(queueCount);
    this.gpuMs = new Float64Array(queueCount);
  }

  /** Moves the clock to t, integrating what was held since the last change. */
  advance(t: number): void {
    if (t <= this.last) return;
    const dt = t - this.last;
    for (let q = 0; q < this.queueCount; q++) this.gpuMs[q] = this.gpuMs[q]! + this.held[q]! * dt;
    this.last = t;
  }

  /** GPUs taken (positive) or given back (negative) by a queue at the current time. */
  change(queue: number, gpus: number): void {
    this.held[queue] = Math.max(0, this.held[queue]! + gpus);
  }

  /** Records the state after every change at the current time (call once per instant). */
  record(): void {
    const top = this.steps[this.steps.length - 1];
    const step = { t: this.last, held: Float64Array.from(this.held), pending: this.pending, running: this.running };
    if (top && top.t === this.last) this.steps[this.steps.length - 1] = step;
    else this.steps.push(step);
  }

  /** GPU-ms held (all queues) over [from, to), exactly. */
  gpuMsBetween(from: number, to: number): number {
    let sum = 0;
    for (let k = 0; k < this.steps.length; k++) {
      const st = this.steps[k]!;
      const a = Math.max(from, st.t);
      const z = Math.min(to, this.steps[k + 1]?.t ?? to);
      if (z <= a) continue;
      let held = 0;
      for (let q = 0; q < this.queueCount; q++) held += st.held[q]!;
      sum += held * (z - a);
    }
    return sum;
  }

  /** Bucket means over [0, end): a piecewise-constant function averaged exactly per bucket. */
  timeline(end: number, buckets: number, capacityGpus: number): TimelinePoint[] {
    if (end <= 0 || buckets <= 0) return [];
    const width = end / buckets;
    const out: TimelinePoint[] = [];
    let s = 0;
    for (let b = 0; b < buckets; b++) {
      const from = b * width;
      const to = b === buckets - 1 ? end : (b + 1) * width;
      const byQueue = new Array<number>(this.queueCount).fill(0);
      let pending = 0;
      let running = 0;
      while (s + 1 < this.steps.length && this.steps[s + 1]!.t <= from) s++;
      for (let k = s; k < this.steps.length && this.steps[k]!.t < to; k++) {
        const st = this.steps[k]!;
        const a = Math.max(from, st.t);
        const z = Math.min(to, this.steps[k + 1]?.t ?? to);
        if (z <= a) continue;
        const w = (z - a) / (to - from);
        for (let q = 0; q < this.queueCount; q++) byQueue[q] = byQueue[q]! + st.held[q]! * w;
        pending += st.pending * w;
        running += st.running * w;
      }
      const allocated = byQueue.reduce((x, y) => x + y, 0);
      out.push({
        t: from,
        utilisationPct: capacityGpus > 0 ? (100 * allocated) / capacityGpus : 0,
        allocatedGpus: allocated,
        pending,
        running,
        byQueue,
      });
    }
    return out;
  }
}
