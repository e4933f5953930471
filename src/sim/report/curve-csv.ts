// Allocation vs arrival for one policy: one row per arrival column, the mean over seeds and one
// column per seed.
import { toCsv } from '../csv.js';
import type { FillResult } from '../fill.js';
import type { PolicySummary } from '../summary.js';

export function curveCsv(summary: PolicySummary, runs: readonly FillResult[]): string {
  const own = runs.filter((r) => r.policy === summary.policy).sort((a, b) => a.seed - b.seed);
  const header = ['arrival_pct', 'alloc_pct_mean', ...own.map((r) => `seed_${r.seed}`)];
  const rows = summary.meanColumns.map((m, k) => [k, fmt(m), ...own.map((r) => fmt(r.columns[k]!))]);
  return toCsv(header, rows);
}

function fmt(x: number): string {
  return Number.isNaN(x) ? '' : String(x);
}
