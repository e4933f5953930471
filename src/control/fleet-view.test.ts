// FleetView keeps each object's newest version so a replayed older one is refused; what it keeps of
// deleted objects (tombstones) goes once the loop says no replays remain.
import { describe, expect, it } from 'vitest';
import type { Resource } from '../model/metadata.js';
import { FleetView } from './fleet-view.js';

const meta = (name: string, rv: number, project?: string) => ({
  name,
  ...(project ? { project } : {}),
  uid: `uid-${name}`,
  resourceVersion: String(rv),
  generation: 1,
  creationTimestamp: '2026-12-01T10:00:00.000Z',
});

const node = (name: string, rv: number): Resource => ({
  apiVersion: 'weft/v1',
  kind: 'Node',
  metadata: meta(name, rv),
  spec: { cpu: '128', memory: '1Ti', gpus: Array.from({ length: 8 }, (_, index) => ({ index, model: 'H100-80GB' })) },
  status: { state: 'Ready' },
});

const alloc = (name: string, rv: number, phase = 'Running'): Resource => ({
  apiVersion: 'weft/v1',
  kind: 'Allocation',
  metadata: meta(name, rv, 'p'),
  spec: { workload: { kind: 'Job', name, uid: `w-${name}` }, replica: 0, attempt: 0, node: 'n1', gpus: [{ index: 0, model: 'H100-80GB', milli: 1000 }], cpuMilli: 1000, memoryBytes: 2 ** 30, isolation: 'dedicated' },
  status: { phase },
});

describe('FleetView tombstones', () => {
  it('refuses replays of deleted or finished objects until told none remain, and forgets only what is gone', () => {
    const fleet = new FleetView();
    expect(fleet.applyNode('ADDED', node('n1', 1))).toBe(true);
    expect(fleet.applyNode('ADDED', node('n2', 2))).toBe(true);
    expect(fleet.applyAllocation('ADDED', alloc('a', 3))).toBe(true);
    expect(fleet.applyAllocation('ADDED', alloc('b', 4))).toBe(true);
    expect(fleet.snapshot().gpuFree[0]).toBe(0); // a holds n1's first GPU

    fleet.applyNode('DELETED', node('n2', 5));
    fleet.applyAllocation('MODIFIED', alloc('b', 6, 'Succeeded'));
    // Replays of older versions change nothing while tombstones are kept.
    expect(fleet.applyNode('ADDED', node('n2', 2))).toBe(false);
    expect(fleet.applyAllocation('ADDED', alloc('b', 4))).toBe(false);
    expect(fleet.activeCount).toBe(1);

    fleet.forgetTombstones();
    // Gone objects are forgotten: the same versions now count as new.
    expect(fleet.applyNode('ADDED', node('n2', 2))).toBe(true);
    expect(fleet.applyAllocation('ADDED', alloc('b', 4))).toBe(true);
    // Live objects keep their versions: an older one is still a replay.
    expect(fleet.applyNode('MODIFIED', node('n1', 1))).toBe(false);
    expect(fleet.applyAllocation('MODIFIED', alloc('a', 3, 'Succeeded'))).toBe(false);
    // An object that came back after being gone is not forgotten.
    fleet.forgetTombstones();
    expect(fleet.applyAllocation('MODIFIED', alloc('b', 4, 'Succeeded'))).toBe(false);
    expect(fleet.activeCount).toBe(2);
  });
});
