import { describe, expect, it } from 'vitest';
import type { Resource } from '../model/metadata.js';
import { replicaStatusEvents } from './replica-events.js';

const alloc = { apiVersion: 'weft/v1', kind: 'Allocation', metadata: { name: 'train-a0-r0', project: 'p', uid: 'u1', resourceVersion: '1' }, spec: { task: { image: 'registry.example:5000/team/train:3' } } } as unknown as Resource;
const pulling = (pct: number) => ({ phase: 'Bound', message: `Pulling image ${pct}%` });

describe('events a replica status tells', () => {
  it('reports a pull as it crosses each tenth, not at every report: one aggregated Event', () => {
    const events = [];
    let before: Record<string, unknown> | undefined = { phase: 'Bound' };
    for (let pct = 0; pct <= 100; pct++) {
      events.push(...replicaStatusEvents(alloc, before, pulling(pct)));
      before = pulling(pct);
    }
    expect(events).toHaveLength(11);
    expect(events.every((e) => e.reason === 'Pulling' && e.aggregate === 'reason')).toBe(true);
    expect(events[4]!.message).toBe('Pulling image 40% (registry.example:5000/team/train:3)');
    // The same percentage again, or another in the same tenth, writes nothing.
    expect(replicaStatusEvents(alloc, pulling(42), pulling(47))).toEqual([]);
  });

  it('says the image arrived when the pull gives way to the next message', () => {
    expect(replicaStatusEvents(alloc, pulling(80), { phase: 'Running', message: 'started by the node agent' })).toEqual([
      { type: 'Normal', reason: 'Pulled', message: 'Pulled image (registry.example:5000/team/train:3)', source: 'node-agent', aggregate: 'reason' },
    ]);
    // A stop during the pull, or a pull that failed, did not bring the image.
    expect(replicaStatusEvents(alloc, pulling(80), { phase: 'Stopped', message: 'stopped: suspended' })).toEqual([]);
    expect(replicaStatusEvents(alloc, pulling(0), { phase: 'Failed', reason: 'ImagePullFailed', message: 'ImagePullFailed: manifest unknown' }).map((e) => e.reason)).toEqual(['ImagePullFailed']);
  });

  it('warns once of a replica that failed for a named cause', () => {
    const oom = { phase: 'Failed', reason: 'OOMKilled', message: 'OOMKilled: it went over its memory limit (exit code 137)' };
    expect(replicaStatusEvents(alloc, { phase: 'Running' }, oom)).toEqual([{ type: 'Warning', reason: 'OOMKilled', message: oom.message, source: 'node-agent' }]);
    expect(replicaStatusEvents(alloc, oom, oom)).toEqual([]);
    expect(replicaStatusEvents(alloc, { phase: 'Running' }, { phase: 'Failed', message: 'exited with code 3' })).toEqual([]);
  });
});
