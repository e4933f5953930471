import { describe, expect, it } from 'vitest';
import type { Resource, ResourceInput } from '../model/metadata.js';
import { masterPort, taskFor, withRendezvous } from './agent-task.js';

const workload = (kind: string, spec: Record<string, unknown>): Resource =>
  ({ apiVersion: 'weft/v1', kind, metadata: { name: 'w', project: 'p', uid: 'uid-1', resourceVersion: '1', generation: 1, creationTimestamp: '' }, spec }) as unknown as Resource;

const alloc = (replica: number, node: string): ResourceInput => ({
  apiVersion: 'weft/v1',
  kind: 'Allocation',
  metadata: { name: `w-a0-r${replica}`, project: 'p' },
  spec: { replica, node, attempt: 0 },
});

describe('agent task fields', () => {
  it('copies the task from a Job, and port and readiness path from a Service', () => {
    const env = [{ name: 'A', value: '1' }];
    expect(taskFor(workload('Job', { command: ['python'], args: ['t.py'], env, image: 'img', port: 80 }))).toEqual({ command: ['python'], args: ['t.py'], env, image: 'img' });
    expect(taskFor(workload('Service', { command: ['serve'], port: 8000, readiness: { path: '/health' } }))).toEqual({ command: ['serve'], port: 8000, readinessPath: '/health' });
    expect(taskFor(workload('Job', {}))).toBeUndefined();
  });

  it("copies a container's fields with the image, /dev/shm's size in bytes", () => {
    const spec = { image: 'train:v1', imagePullPolicy: 'Always', workingDir: '/workspace', ports: [{ containerPort: 8000 }], shmSize: '2Gi' };
    expect(taskFor(workload('Job', spec))).toEqual({ image: 'train:v1', imagePullPolicy: 'Always', workingDir: '/workspace', ports: [{ containerPort: 8000 }], shmSizeBytes: 2 * 1024 ** 3 });
  });

  it('gives every replica of a Job gang the same rendezvous, mastered by the lowest replica', () => {
    const out = withRendezvous(workload('Job', {}), 3, [alloc(2, 'n-c'), alloc(0, 'n-a'), alloc(1, 'n-b')]);
    const rdv = out.map((a) => (a.spec as { rendezvous?: unknown }).rendezvous);
    expect(rdv[0]).toEqual({ worldSize: 3, masterNode: 'n-a', masterPort: masterPort('uid-1', 3) });
    expect(new Set(rdv.map((r) => JSON.stringify(r))).size).toBe(1);
    expect((withRendezvous(workload('Service', {}), 0, [alloc(0, 'n')])[0]!.spec as { rendezvous?: unknown }).rendezvous).toBeUndefined();
  });

  it('picks master ports in 29500-30499, stable per uid and attempt', () => {
    for (let i = 0; i < 200; i++) {
      const p = masterPort(`uid-${i}`, i % 5);
      expect(p).toBeGreaterThanOrEqual(29500);
      expect(p).toBeLessThanOrEqual(30499);
      expect(masterPort(`uid-${i}`, i % 5)).toBe(p);
    }
    expect(new Set([0, 1, 2, 3, 4].map((a) => masterPort('uid', a))).size).toBeGreaterThan(1);
  });
});
