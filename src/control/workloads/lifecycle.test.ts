// End to end inside the control plane: the real scheduling loop places what the adapters ask
// for, the controllers react, and a stand-in provider (a few lines below) runs allocations and
// honours stop requests, as docs/lifecycle.md says a provider does.
import { afterEach, describe, expect, it } from 'vitest';
import type { Resource } from '../../model/metadata.js';
import { openStore } from '../../store/index.js';
import type { Store } from '../../store/types.js';
import { ManualClock } from '../clock.js';
import { startControlPlane, type ControlPlane } from '../control-plane.js';
import { isActive, stopRequested } from './allocations.js';
import { createWorkloadControllers } from './index.js';

const P = 'team';
let store: Store;
let cp: ControlPlane | undefined;
let provider: AbortController | undefined;
afterEach(async () => {
  provider?.abort();
  await cp?.stop();
  await store?.close();
});

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 8000): Promise<T> {
  const end = performance.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (performance.now() > end) throw new Error(`not reached in time: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Starts every Bound allocation and stops every one asked to stop, until aborted. */
function runProvider(s: Store, clock: ManualClock, signal: AbortSignal, failOnce: Set<string>): void {
  void (async () => {
    while (!signal.aborted) {
      for (const a of (await s.list('Allocation')).items) {
        if (!isActive(a)) continue;
        const at = clock.now().toISOString();
        const next: Record<string, unknown> | undefined = stopRequested(a)
          ? { phase: 'Stopped', finishedAt: at }
          : failOnce.delete(a.metadata.name)
            ? { phase: 'Failed', exitCode: 1, finishedAt: at }
            : !a.status?.phase
              ? { phase: 'Running', startedAt: at }
              : undefined;
        if (next) await s.update({ ...a, status: { ...a.status, ...next } }, { resourceVersion: a.metadata.resourceVersion }).catch(() => undefined);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
}

const get = async (kind: string, name: string): Promise<Resource | undefined> => store.get({ kind, project: P, name });
const phase = (kind: string, name: string, want: string) => async () => ((await get(kind, name))?.status?.phase === want ? true : undefined);

describe('workloads in the control plane', () => {
  it('runs a Job through a gang restart, a Service to Available and a DevEnvironment to Idle', async () => {
    const clock = new ManualClock();
    store = await openStore({ now: () => clock.now() });
    await store.create({ apiVersion: 'weft/v1', kind: 'Project', metadata: { name: P }, spec: {} });
    await store.create({
      apiVersion: 'weft/v1',
      kind: 'Node',
      metadata: { name: 'n1' },
      spec: { cpu: '64', memory: '512Gi', gpus: Array.from({ length: 8 }, (_, i) => ({ index: i, model: 'H100-80GB' })) },
    });
    const wc = createWorkloadControllers({ store, clock, tickMs: 20 });
    cp = startControlPlane({ store, clock, cycleIntervalMs: 50, ...wc });
    await cp.leading;
    provider = new AbortController();
    // Replica 1 of the first attempt fails once: the gang must restart as attempt 1.
    runProvider(store, clock, provider.signal, new Set(['train-a0-r1']));

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
