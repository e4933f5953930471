import { describe, expect, it } from 'vitest';
import { ganttText } from './gantt.js';

const HOUR = 3_600_000;
const from = Date.UTC(2030, 0, 1); // a Tuesday

describe('calendar Gantt chart', () => {
  it('draws each booking on its nodes and hours, whole or partial, and the free share per column', () => {
    const nodes = [
      { name: 'fra-1', site: 'fra', model: 'H100-80GB', gpus: 8 },
      { name: 'fra-2', site: 'fra', model: 'H100-80GB', gpus: 8 },
    ];
    const reservations = [
      { name: 'vision/train', start: from + 2 * HOUR, end: from + 4 * HOUR, phase: 'Pending', nodes: [{ node: 'fra-1', gpus: 8 }, { node: 'fra-2', gpus: 4 }] },
      { name: 'nlp/eval', start: from + 5 * HOUR, end: from + 6 * HOUR, phase: 'Pending', nodes: [{ node: 'fra-2', gpus: 8, whole: true }] },
      { name: 'old/done', start: from, end: from + HOUR, phase: 'Ended', nodes: [{ node: 'fra-1', gpus: 8 }] },
    ];
    const lines = ganttText(nodes, reservations, { from, to: from + 8 * HOUR, width: 8 }).split('\n');
    expect(lines[0]).toBe('       |Tue 1');
    expect(lines[1]).toBe('fra-1  ..AA....');
    expect(lines[2]).toBe('fra-2  ..aa.B..');
    expect(lines[3]).toBe('free   ++22+5++');
    expect(lines).toContain('A  vision/train  12 GPUs on 2 node(s)  2030-01-01T02:00:00.000Z – 2030-01-01T04:00:00.000Z  Pending');
    expect(lines.join('\n')).not.toContain('old/done');
  });

  it('names every day that starts in the chart, even one starting right after the first column', () => {
    const nodes = [{ name: 'fra-1', site: 'fra', model: 'H100-80GB', gpus: 8 }];
    const late = from - 2 * HOUR; // Monday 22:00, two columns before Tuesday starts
    const lines = ganttText(nodes, [], { from: late, to: late + 52 * HOUR, width: 26 }).split('\n');
    expect(lines[0]).toBe('        |Tue 1      |Wed 2      |'); // Thursday starts in the last column
  });
});
