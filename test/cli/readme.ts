// Reading the README's tour as a test reads it: its `console` blocks, each a series of
// `$ command` lines and the output a newcomer should see, and a matcher that allows for what
// legitimately differs between two runs (ages, tokens, the data directory) and for the lines the
// README leaves out ("…").
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './helpers.js';

export interface TourStep {
  /** The command as the README prints it (without "$ "); undefined for the start banner. */
  command?: string;
  expected: string[];
  /** Where the block starts in README.md (1-based), for messages. */
  line: number;
}

/** The console blocks of the section titled `heading`, split into commands and their output. */
export function tourSteps(heading = '## A 10-minute tour'): TourStep[] {
  const lines = readFileSync(join(ROOT, 'README.md'), 'utf8').split('\n');
  const start = lines.indexOf(heading);
  if (start < 0) throw new Error(`README.md has no "${heading}" section`);
  const steps: TourStep[] = [];
  let inBlock = false;
  for (let i = start + 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (!inBlock && line.startsWith('## ')) break;
    if (!inBlock) {
      inBlock = line === '```console';
      // Output before any command in a block is what the previous step (the start) printed.
      if (inBlock && !(lines[i + 1] ?? '').startsWith('$ ')) steps.push({ expected: [], line: i + 2 });
      continue;
    }
    if (line === '```') inBlock = false;
    else if (line.startsWith('$ ')) steps.push({ command: line.slice(2), expected: [], line: i + 1 });
    else steps[steps.length - 1]!.expected.push(line);
  }
  return steps;
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * One expected line as a pattern over one printed line. Runs of spaces match any run (columns
 * widen with their contents), an age ("11s", "3m", "6s ago") matches any age, and "…" inside a
 * line matches anything.
 */
export function linePattern(expected: string): RegExp {
  const tokens = expected.trim().split(/(\s+)/);
  const body = tokens
    .map((t, i) => {
      if (i % 2 === 1) return t.length >= 2 ? '\\s{2,}' : '\\s+';
      if (/^\d+[smhd]$/.test(t)) return '\\d+[smhd]';
      return t.split('…').map(escape).join('.*');
    })
    .join('');
  return new RegExp(`^\\s*${body}\\s*$`);
}

/** Whether `actual` is what `expected` shows: line by line, a line "…" standing for any number of lines. */
export function matchesOutput(expected: string[], actual: string[]): boolean {
  const exp = trimBlank(expected);
  const act = trimBlank(actual);
  const go = (i: number, j: number): boolean => {
    if (i === exp.length) return j === act.length;
    if (exp[i]!.trim() === '…') {
      for (let k = j; k <= act.length; k++) if (go(i + 1, k)) return true;
      return false;
    }
    return j < act.length && linePattern(exp[i]!).test(act[j]!) && go(i + 1, j + 1);
  };
  return go(0, 0);
}

function trimBlank(lines: string[]): string[] {
  let a = 0;
  let b = lines.length;
  while (a < b && lines[a]!.trim() === '') a++;
  while (b > a && lines[b - 1]!.trim() === '') b--;
  return lines.slice(a, b);
}
