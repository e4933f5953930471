import { describe, expect, it } from 'vitest';
import type { Resource } from './metadata.js';
import { desiredReplicas, replicasText } from './replicas.js';

const w = (kind: string, spec: Record<string, unknown>, status?: Record<string, unknown>): Resource =>
  ({ apiVersion: 'weft/v1', kind, metadata: { name: 'x', project: 'p', uid: 'u', resourceVersion: '1', generation: 1, creationTimestamp: '' }, spec, ...(status ? { status } : {}) }) as Resource;

describe('replicas', () => {
  it('a Service: ready of what its controller keeps, else of its minimum', () => {
    expect(replicasText(w('Service', { replicas: { min: 2, max: 4 } }, { replicas: 2, readyReplicas: 2 }))).toBe('2/2');
    expect(replicasText(w('Service', { replicas: { min: 2, max: 4 } }, { replicas: 3, readyReplicas: 1 }))).toBe('1/3');
    expect(replicasText(w('Service', { replicas: { min: 2, max: 4 } }))).toBe('0/2');
    expect(desiredReplicas(w('Service', {}))).toBe(1);
  });

  it('a Job its spec.replicas; a DevEnvironment one', () => {
    expect(replicasText(w('Job', { replicas: 20 }))).toBe('20');
    expect(replicasText(w('DevEnvironment', {}))).toBe('1');
  });
});
