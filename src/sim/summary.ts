// Aggregates fill results over seeds: the numbers the reports and summary.json carry.
import type { FillResult } from './fill.js';

export interface PolicySummary {
  policy: string;
  seeds: number[];
  /** Mean over seeds of allocation % at each arrival column 0..130. */
  meanColumns: number[];
  alloc_at_100: number;
  alloc_at_130: number;
  alloc_at_100_std: number;
  alloc_at_130_std: number;
  /** Mean failed arrivals per run. */
  failed: number;
  arrivals: number;
}

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Sample standard deviation (n − 1), 0 for a single seed. */
function std(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}

const r4 = (x: number) => Math.round(x * 10000) / 10000;

export function summarise(results: readonly FillResult[]): PolicySummary[] {
  const byPolicy = new Map<string, FillResult[]>();
  for (const r of results) {
    const list = byPolicy.get(r.policy) ?? [];
    list.push(r);
    byPolicy.set(r.policy, list);
  }
  return [...byPolicy].map(([policy, runs]) => {
    runs.sort((a, b) => a.seed - b.seed);
    const columns = runs[0]!.columns.map((_, k) => r4(mean(runs.map((r) => r.columns[k]!))));
    const at = (k: number) => runs.map((r) => r.columns[k]!);
    return {
      policy,
      seeds: runs.map((r) => r.seed),
      meanColumns: columns,
      alloc_at_100: r4(mean(at(100))),
      alloc_at_130: r4(mean(at(130))),
      alloc_at_100_std: r4(std(at(100))),
      alloc_at_130_std: r4(std(at(130))),
      failed: r4(mean(runs.map((r) => r.failed))),
      arrivals: r4(mean(runs.map((r) => r.arrivals))),
    };
  });
}
