import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../store/index.js';
import type { ListOptions, Store } from '../store/types.js';
import { listAtOneVersion } from './lists-at-one-version.js';

let store: Store;
afterEach(async () => store?.close());

describe('lists at one version', () => {
  it('brings the kinds listed first to the newest list: changes, creations and deletions in between', async () => {
    store = await openStore();
    await store.create({ apiVersion: 'weft/v1', kind: 'Project', metadata: { name: 'p' }, spec: {} });
    for (const name of ['n1', 'n2']) await store.create({ apiVersion: 'weft/v1', kind: 'Node', metadata: { name }, spec: { cpu: '8', memory: '64Gi' } });
    let firstListed!: () => void;
    const afterFirst = new Promise<void>((r) => (firstListed = r));
    // Projects and Nodes are listed first; then the changes below; then the Jobs.
    const racing: Store = Object.create(store, {
      list: {
        value: async (kind: string, opts?: ListOptions) => {
          if (kind === 'Job') {
            await afterFirst;
            return store.list(kind, opts);
          }
          const out = await store.list(kind, opts);
          if (kind === 'Node') {
            const p = (await store.get({ kind: 'Project', name: 'p' }))!;
            await store.update({ ...p, spec: { allowedCountries: ['DE'] } });
            await store.delete({ kind: 'Node', name: 'n2' });
            await store.create({ apiVersion: 'weft/v1', kind: 'Node', metadata: { name: 'n3' }, spec: { cpu: '8', memory: '64Gi' } });
            await store.create({ apiVersion: 'weft/v1', kind: 'Job', metadata: { name: 'j', project: 'p' }, spec: { replicas: 1, resources: {} } });
            firstListed();
          }
          return out;
        },
      },
    });
    const lists = await listAtOneVersion(racing, ['Project', 'Node', 'Job']);
    expect(lists.get('Project')!.map((p) => p.spec)).toEqual([{ allowedCountries: ['DE'] }]);
    expect(lists.get('Node')!.map((n) => n.metadata.name).sort()).toEqual(['n1', 'n3']);
    expect(lists.get('Job')!.map((j) => j.metadata.name)).toEqual(['j']);
  });
});
