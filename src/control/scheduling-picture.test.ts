// The picture a what-if answer is computed from, loaded at one version of the store even when
// its lists were read at different ones.
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../store/index.js';
import type { ListOptions, Store } from '../store/types.js';
import { SchedulingPicture } from './scheduling-picture.js';
import { jobAdapter } from './workloads/job-adapter.js';

const P = 'sovereign';
let store: Store;
afterEach(async () => store?.close());

describe('loading the scheduling picture', () => {
  it('folds the changes made between its lists, so a Job never comes with the Project it had before', async () => {
    store = await openStore();
    await store.create({ apiVersion: 'weft/v1', kind: 'Site', metadata: { name: 'de-1' }, spec: { country: 'DE' } });
    await store.create({ apiVersion: 'weft/v1', kind: 'Site', metadata: { name: 'fr-1' }, spec: { country: 'FR' } });
    await store.create({ apiVersion: 'weft/v1', kind: 'Project', metadata: { name: P }, spec: {} });
    // Projects are listed first; then the project is restricted and a Job made; only then the rest.
    let projectsListed!: () => void;
    const afterProjects = new Promise<void>((r) => (projectsListed = r));
    const racing: Store = Object.create(store, {
      list: {
        value: async (kind: string, opts?: ListOptions) => {
          if (kind !== 'Project') {
            await afterProjects;
            return store.list(kind, opts);
          }
          const out = await store.list(kind, opts);
          const p = (await store.get({ kind: 'Project', name: P }))!;
          await store.update({ ...p, spec: { allowedCountries: ['DE'] } });
          await store.create({ apiVersion: 'weft/v1', kind: 'Job', metadata: { name: 'train', project: P }, spec: { replicas: 1, resources: { gpu: { count: 1 } } } });
          projectsListed();
          return out;
        },
      },
    });
    const picture = await SchedulingPicture.load(racing, new Set(['Job']));
    const job = [...picture.workloads.values()].find((w) => w.metadata.name === 'train');
    expect(job).toBeDefined();
    const demand = picture.demandOf(job!, jobAdapter, new Date())!;
    expect(picture.gangOf('0', demand).residency?.sites).toEqual(['de-1']);
  });
});
