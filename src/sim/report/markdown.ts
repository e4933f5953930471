// The summary as a Markdown table, optionally against expected values (e.g. the paper's).
import type { PolicySummary } from '../summary.js';

export interface Expected {
  alloc_at_100: number;
  alloc_at_130: number;
}

export function summaryMarkdown(title: string, summaries: readonly PolicySummary[], expected: Record<string, Expected> = {}): string {
  const withExpected = summaries.some((s) => expected[s.policy]);
  const head = withExpected
    ? '| policy | alloc@100 % | alloc@130 % | expected @100 / @130 | Δ @100 / @130 (pp) | unallocated@130 % | failed pods | seeds |\n|---|---|---|---|---|---|---|---|'
    : '| policy | alloc@100 % (± sd) | alloc@130 % (± sd) | unallocated@130 % | failed pods | seeds |\n|---|---|---|---|---|---|';
  const rows = summaries.map((s) => {
    const seeds = s.seeds.length > 1 ? `${s.seeds[0]}–${s.seeds[s.seeds.length - 1]}` : String(s.seeds[0]);
    const e = expected[s.policy];
    if (withExpected) {
      const exp = e ? `${e.alloc_at_100.toFixed(2)} / ${e.alloc_at_130.toFixed(2)}` : '—';
      const d = e ? `${signed(s.alloc_at_100 - e.alloc_at_100)} / ${signed(s.alloc_at_130 - e.alloc_at_130)}` : '—';
      return `| ${s.policy} | ${s.alloc_at_100.toFixed(2)} | ${s.alloc_at_130.toFixed(2)} | ${exp} | ${d} | ${(100 - s.alloc_at_130).toFixed(2)} | ${Math.round(s.failed)} | ${seeds} |`;
    }
    return `| ${s.policy} | ${s.alloc_at_100.toFixed(2)} ± ${s.alloc_at_100_std.toFixed(2)} | ${s.alloc_at_130.toFixed(2)} ± ${s.alloc_at_130_std.toFixed(2)} | ${(100 - s.alloc_at_130).toFixed(2)} | ${Math.round(s.failed)} | ${seeds} |`;
  });
  return `### ${title}\n\n${head}\n${rows.join('\n')}\n`;
}

function signed(x: number): string {
  return `${x >= 0 ? '+' : ''}${x.toFixed(2)}`;
}
