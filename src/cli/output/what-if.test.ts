// `weft explain` prints the server's answer: where, when, for whom it waits — naming only what the
// server named.
import { describe, expect, it } from 'vitest';
import type { WhatIfAnswer } from '../../client/index.js';
import { renderWhatIf } from './what-if.js';

const NOW = Date.parse('2026-05-01T12:00:00Z');
const base: WhatIfAnswer = {
  workload: { kind: 'Job', project: 'vision', name: 'train' },
  evaluatedAt: new Date(NOW).toISOString(),
  asked: 'pending',
  replicas: 2,
  outcome: 'later',
  startsAt: new Date(NOW + 250_000).toISOString(),
  placements: [
    { replica: 0, node: 'n1', gpus: [0, 1, 2, 3, 4, 5, 6, 7] },
    { replica: 1, node: 'n2', gpus: [4, 5] },
  ],
  scheduling: { message: '0/2 nodes fit', explanation: 'needs 2 replicas of 8×H100-80GB' },
  waitsFor: { named: [{ kind: 'Job', project: 'vision', name: 'eval' }], others: 2 },
  assumptions: ['3 running allocation(s) end at their declared run times.'],
};

describe('weft explain output', () => {
  it('says when and where, and what it waits for, counting what it may not name', () => {
    expect(renderWhatIf(base, { gpus: '2x8', phase: 'Pending', now: NOW }).split('\n')).toEqual([
      'job/train in project vision: 2 replica(s), 2x8 GPUs, phase Pending.',
      'Now: needs 2 replicas of 8×H100-80GB.',
      `It would start in about 4m 10s (at ${base.startsAt}), on:`,
      '  replica 0 → n1 GPUs 0-7',
      '  replica 1 → n2 GPUs 4-5',
      'Waiting for: job/eval and 2 workload(s) in other projects to finish.',
      'Assumes: 3 running allocation(s) end at their declared run times.',
    ]);
  });

  it('names victims and says when nothing known frees enough', () => {
    const pre: WhatIfAnswer = { ...base, outcome: 'preempts', placements: [], preempts: { named: [], others: 1, reasons: ['priority 1000 > 0'] }, assumptions: [] };
    expect(renderWhatIf(pre, { gpus: '8', now: NOW })).toContain('It would preempt 1 workload(s) in other projects (priority 1000 > 0), and start once they have stopped.');
    const never: WhatIfAnswer = { ...base, asked: 'copy', outcome: 'never', placements: [], assumptions: [] };
    const text = renderWhatIf(never, { gpus: '8', phase: 'Running', now: NOW });
    expect(text).toContain('It is not waiting; the answer below is for a copy submitted now.');
    expect(text).toContain('It would not start, even after everything with a known end has finished.');
  });
});
