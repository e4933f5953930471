// Writes a fill experiment's outputs into a directory.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FillResult } from '../fill.js';
import type { PolicySummary } from '../summary.js';
import { curveCsv } from './curve-csv.js';
import { summaryMarkdown, type Expected } from './markdown.js';
import { allocationChartSvg } from './svg-chart.js';

export interface FillReportInput {
  title: string;
  nodesFile: string;
  podsFile: string;
  tune: number;
  summaries: readonly PolicySummary[];
  runs: readonly FillResult[];
  expected?: Record<string, Expected>;
}

/** Writes named files into `dir` (created if missing) and remembers their paths, in order. */
export interface ReportWriter {
  put: (name: string, text: string) => void;
  readonly written: string[];
}

export function reportWriter(dir: string): ReportWriter {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  return {
    put: (name, text) => {
      const p = join(dir, name);
      writeFileSync(p, text);
      written.push(p);
    },
    written,
  };
}

/** Returns the paths written. */
export function writeFillReport(dir: string, input: FillReportInput): string[] {
  const { put, written } = reportWriter(dir);
  for (const s of input.summaries) put(`alloc-${s.policy}.csv`, curveCsv(s, input.runs));
  put('alloc.svg', allocationChartSvg(input.summaries, { title: input.title }));
  put('summary.md', summaryMarkdown(input.title, input.summaries, input.expected));
  const summary = {
    title: input.title,
    nodes: input.nodesFile,
    pods: input.podsFile,
    tune: input.tune,
    policies: Object.fromEntries(
      input.summaries.map((s) => [
        s.policy,
        {
          alloc_at_100: s.alloc_at_100,
          alloc_at_130: s.alloc_at_130,
          alloc_at_100_std: s.alloc_at_100_std,
          alloc_at_130_std: s.alloc_at_130_std,
          unalloc_at_130: Math.round((100 - s.alloc_at_130) * 10000) / 10000,
          failed_mean: s.failed,
          arrivals_mean: s.arrivals,
          seeds: s.seeds,
        },
      ]),
    ),
  };
  put('summary.json', JSON.stringify(summary, null, 2) + '\n');
  return written;
}
