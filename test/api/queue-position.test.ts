// "Why pending" over the API carries the live queue position (issue 22, item 9): the store keeps
// a waiting Job's reasons without it, and GET, list and watch put the scheduler's latest one in.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/control/clock.js';
import { startControlPlane, type ControlPlane } from '../../src/control/control-plane.js';
import { QueuePositions } from '../../src/control/queue-positions.js';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';
import { job, mustCreate, openSse, project, startHarness, type Harness } from './helpers.js';

interface Scheduling {
  explanation: string;
  details: { code: string; data?: Record<string, unknown> }[];
}

describe('queue position on read', () => {
  let store: Store;
  let h: Harness;
  let cp: ControlPlane;
  const positions = new QueuePositions();
  const JOBS = '/api/v1/projects/q/jobs';

  beforeAll(async () => {
    store = await openStore();
    h = await startHarness({ store, positions });
    cp = startControlPlane({ store, clock: new ManualClock(), cycleIntervalMs: 20, positions });
    await mustCreate(h, '/api/v1/projects', project('q'));
    await mustCreate(h, '/api/v1/nodes', { kind: 'Node', metadata: { name: 'n1' }, spec: { cpu: '8', memory: '64Gi', gpus: [{ index: 0, model: 'H100-80GB' }] } });
    for (const name of ['first', 'second', 'third']) await mustCreate(h, JOBS, job(name, { resources: { cpu: '1', gpu: { count: 1 } } }));
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const third = await store.get({ kind: 'Job', project: 'q', name: 'third' });
      if (third?.status?.scheduling && positions.get(third)?.ahead === 1) break;
      await new Promise((r) => setTimeout(r, 20));
    }
  }, 60_000);
  afterAll(async () => {
    await cp.stop();
    await h.close();
    await store.close();
  });

  it('GET, list and watch show the live position; the stored status has none', async () => {
    const stored = (await store.get({ kind: 'Job', project: 'q', name: 'third' }))!.status!.scheduling as Scheduling;
    expect(stored.details.map((d) => d.code)).toEqual(['Nodes']);
    expect(stored.explanation).toBe('needs 1×GPU; 0/1 nodes fit (1 short of free GPUs)');

    const got = await h.call('GET', `${JOBS}/third`);
    const live = got.body.status.scheduling as Scheduling;
    expect(live.explanation).toBe('needs 1×GPU; 0/1 nodes fit (1 short of free GPUs); 1 gang ahead');
    expect(live.details.map((d) => [d.code, d.data?.['ahead']])).toEqual([
      ['Nodes', undefined],
      ['QueuePosition', 1],
    ]);

    const list = await h.call('GET', JOBS);
    const byName = Object.fromEntries((list.body.items as { metadata: { name: string }; status?: { scheduling?: Scheduling } }[]).map((j) => [j.metadata.name, j.status?.scheduling?.explanation]));
    expect(byName['second']).toBe('needs 1×GPU; 0/1 nodes fit (1 short of free GPUs)'); // first in line: nobody ahead
    expect(byName['third']).toMatch(/; 1 gang ahead$/);

    const watch = await openSse(`${h.url}${JOBS}?watch=true&fieldSelector=metadata.name=third`, h.adminToken);
    try {
      const [ev] = await watch.waitFor(1);
      expect(ev!.data.object.status.scheduling.explanation).toMatch(/; 1 gang ahead$/);
    } finally {
      watch.close();
    }
  });
});
