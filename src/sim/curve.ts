// Allocation-vs-arrival curve, built the way the FGD paper's analysis scripts build it: every
// arrival event is one sample (CPU-only ones too); column k averages the samples whose arrival
// percentage rounds to k, falling back to k±1 when none does.

export const MAX_COLUMN = 130;

export class CurveBuilder {
  private readonly sums = new Float64Array(MAX_COLUMN + 2);
  private readonly counts = new Int32Array(MAX_COLUMN + 2);

  /** @param totalGpus fleet size in GPUs (the percentage denominator). */
  constructor(private readonly totalGpus: number) {}

  /** One event: cumulative arrived and currently allocated milli-GPU. */
  record(arrivedMilli: number, allocatedMilli: number): void {
    const k = roundHalfEven(arrivedMilli / this.totalGpus / 10);
    if (k < 0 || k > MAX_COLUMN + 1) return;
    this.sums[k] = this.sums[k]! + round2(allocatedMilli / this.totalGpus / 10);
    this.counts[k] = this.counts[k]! + 1;
  }

  /** value[k] for k = 0..130 (NaN where no sample is near). */
  columns(): Float64Array {
    const out = new Float64Array(MAX_COLUMN + 1);
    for (let k = 0; k <= MAX_COLUMN; k++) {
      let s = this.sums[k]!;
      let c = this.counts[k]!;
      if (c === 0) {
        for (const j of [k - 1, k + 1]) {
          if (j >= 0 && j <= MAX_COLUMN + 1) {
            s += this.sums[j]!;
            c += this.counts[j]!;
          }
        }
      }
      out[k] = c === 0 ? NaN : round2(s / c);
    }
    return out;
  }
}

export function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

/** Banker's rounding, as Python's round() does on the analysis side. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}
