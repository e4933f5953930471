// End to end inside the control plane: the real scheduling loop places what the adapters ask
// for, the controllers react, and a stand-in provider (../testing/live-plane.ts) runs allocations
// and honours stop requests, as docs/lifecycle.md says a provider does.
import { describe, expect, it } from 'vitest';
import type { Resource } from '../../model/metadata.js';
import type { Store } from '../../store/types.js';
import { h100Node, livePlanes, until } from '../testing/live-plane.js';
import { isActive } from './allocations.js';

const P = 'team';
const startPlane = livePlanes();
let store: Store;

const get = async (kind: string, name: string): Promise<Resource | undefined> => store.get({ kind, project: P, name });
const phase = (kind: string, name: string, want: string) => async () => ((await get(kind, name))?.status?.phase === want ? true : undefined);

describe('workloads in the control plane', () => {
  it('runs a Job through a gang restart, a Service to Available and a DevEnvironment to Idle', async () => {
    const plane = await startPlane({
      project: P,
      seed: async (s) => {
        await s.create(h100Node('n1'));
      },
      // Replica 1 of the first attempt fails once: the gang must restart as attempt 1.
      failOnce: new Set(['train-a0-r1']),
    });
    ({ store } = plane);
    const { clock } = plane;

    const res = (n: number) => ({ cpu: '1', memory: '1Gi', gpu: { count: n } });
    await store.create({ apiVersion: 'weft/v1', kind: 'Job', metadata: { name: 'train', project: P }, spec: { replicas: 2, gang: { minAvailable: 2 }, resources: res(2) } });
    const backingOff = await until('job backing off', async () => {
      const j = await get('Job', 'train');
      return j?.status?.nextRetryTime ? j : undefined;
    });
    expect(backingOff.status).toMatchObject({ phase: 'Pending', attempt: 1, failures: 1 });
    clock.advance(10_000);
    await until('job running again', phase('Job', 'train', 'Running'));
    expect((await get('Job', 'train'))!.status).toMatchObject({ attempt: 1, failures: 1 });

    await store.create({ apiVersion: 'weft/v1', kind: 'Service', metadata: { name: 'llm', project: P }, spec: { replicas: { min: 2, max: 2 }, resources: res(1) } });
    await until('service available', phase('Service', 'llm', 'Available'));

    await store.create({ apiVersion: 'weft/v1', kind: 'DevEnvironment', metadata: { name: 'nb', project: P }, spec: { idleTimeoutSeconds: 600, resources: res(1) } });
    await until('devenv running', phase('DevEnvironment', 'nb', 'Running'));
    clock.advance(600_000);
    await until('devenv idle', phase('DevEnvironment', 'nb', 'Idle'));
    await until('devenv GPUs released', async () => {
      const held = (await store.list('Allocation', { project: P, labelSelector: 'weft.dev/workload=nb' })).items.filter(isActive);
      return held.length === 0 ? true : undefined;
    });
  });
});
