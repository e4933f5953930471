// Per-queue statistics of a finished replay: queueing delay and JCT percentiles, preemptions,
// GPU-time received against the share the queue is entitled to.
import type { GangOutcome, Percentiles, QueueStats } from './types.js';

/** Nearest-rank percentiles of xs (seconds in, seconds out); all zero when empty. */
export function percentiles(xs: readonly number[]): Percentiles {
  if (xs.length === 0) return { count: 0, mean: 0, p50: 0, p90: 0, p99: 0, max: 0 };
  const s = [...xs].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
  return { count: s.length, mean: round(s.reduce((a, b) => a + b, 0) / s.length), p50: at(0.5), p90: at(0.9), p99: at(0.99), max: s[s.length - 1]! };
}

export function round(x: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export interface QueueTotals {
  gpuMs: number;
  lostGpuMs: number;
  /** Nominal GPUs; 0 when undeclared. */
  nominal: number;
}

export function queueStats(queue: string, gangs: readonly GangOutcome[], totals: QueueTotals, allGpuMs: number, allNominal: number): QueueStats {
  const waits: number[] = [];
  const jcts: number[] = [];
  let preemptions = 0;
  for (const g of gangs) {
    preemptions += g.preemptions;
    if (g.startedAt !== null) waits.push((g.startedAt - g.submitAt) / 1000);
    if (g.finishedAt !== null) jcts.push((g.finishedAt - g.submitAt) / 1000);
  }
  const share = allGpuMs > 0 ? totals.gpuMs / allGpuMs : 0;
  const entitled = allNominal > 0 ? totals.nominal / allNominal : 0;
  return {
    queue,
    submitted: gangs.length,
    started: waits.length,
    completed: jcts.length,
    unfinished: gangs.length - jcts.length,
    preemptions,
    waitSeconds: percentiles(waits),
    jctSeconds: percentiles(jcts),
    gpuHours: round(totals.gpuMs / 3_600_000),
    lostGpuHours: round(totals.lostGpuMs / 3_600_000),
    share: round(share),
    entitled: round(entitled),
    fairness: entitled > 0 ? round(share / entitled) : null,
  };
}

/** Jain's fairness index over ratios: (Σx)² / (n·Σx²); 1 when all are equal. */
export function jainIndex(ratios: readonly number[]): number | null {
  if (ratios.length === 0) return null;
  const sum = ratios.reduce((a, b) => a + b, 0);
  const sq = ratios.reduce((a, b) => a + b * b, 0);
  return sq > 0 ? round((sum * sum) / (ratios.length * sq)) : null;
}
