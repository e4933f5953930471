import { describe, expect, it } from 'vitest';
import type { Resource } from '../model/metadata.js';
import { allocationUtilizationUpdates, utilizationMoved } from './heartbeat.js';

function alloc(name: string, gpus: number[], status: Record<string, unknown> = { phase: 'Running' }, node = 'n1'): Resource {
  return { apiVersion: 'weft/v1', kind: 'Allocation', metadata: { name, project: 'p', uid: name, resourceVersion: '1', generation: 1, creationTimestamp: '' }, spec: { node, gpus: gpus.map((index) => ({ index })) }, status } as unknown as Resource;
}

describe('allocationUtilizationUpdates', () => {
  const util = { '0': 90, '1': 70, '2': 12 };

  it('writes a running allocation\'s mean over its GPUs when it has none yet', () => {
    expect(allocationUtilizationUpdates([alloc('a', [0, 1]), alloc('b', [2])], 'n1', util, 5)).toEqual([
      { project: 'p', name: 'a', gpuUtilization: 80 },
      { project: 'p', name: 'b', gpuUtilization: 12 },
    ]);
  });

  it('does not rewrite an allocation for jitter under the step, and does once it moved by the step', () => {
    const a = alloc('a', [0, 1], { phase: 'Running', gpuUtilization: 77 });
    expect(allocationUtilizationUpdates([a], 'n1', util, 5)).toEqual([]);
    expect(allocationUtilizationUpdates([a], 'n1', { '0': 90, '1': 74 }, 5)).toEqual([{ project: 'p', name: 'a', gpuUtilization: 82 }]);
  });

  it('skips allocations of other nodes, not running, without GPUs or without a sample', () => {
    const skipped = [alloc('other', [0], undefined, 'n2'), alloc('pending', [0], { phase: 'Pending' }), alloc('cpu', []), alloc('unsampled', [7])];
    expect(allocationUtilizationUpdates(skipped, 'n1', util, 5)).toEqual([]);
  });
});

describe('utilizationMoved', () => {
  it('is true first, for a GPU that came or went, and for a move of at least the step', () => {
    expect(utilizationMoved(undefined, { '0': 1 }, 5)).toBe(true);
    expect(utilizationMoved({ '0': 1 }, { '0': 5 }, 5)).toBe(false);
    expect(utilizationMoved({ '0': 1 }, { '0': 6 }, 5)).toBe(true);
    expect(utilizationMoved({ '0': 1 }, { '0': 1, '1': 0 }, 5)).toBe(true);
  });
});
