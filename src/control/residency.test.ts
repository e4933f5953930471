// The scheduling loop applies a project's data residency as it is at each cycle: work stored
// before the project was restricted (so its spec names no sites) still never lands outside, its
// status says which rule keeps it waiting, and it runs once a node inside appears.
import { describe, expect, it } from 'vitest';
import type { Resource } from '../model/metadata.js';
import { h100Node, livePlanes, until } from './testing/live-plane.js';

const P = 'sovereign';
const startPlane = livePlanes();

const site = (name: string, country: string) => ({ apiVersion: 'weft/v1' as const, kind: 'Site', metadata: { name }, spec: { country } });
const nodeIn = (name: string, s: string) => {
  const n = h100Node(name);
  return { ...n, spec: { ...n.spec, site: s } };
};

describe('residency in the scheduling loop', () => {
  it('keeps work inside the residency the project has now, and says why it waits', async () => {
    const { store } = await startPlane({
      project: P,
      seed: async (s) => {
        await s.create(site('de-1', 'DE'));
        await s.create(site('fr-1', 'FR'));
        await s.create(nodeIn('fr-a', 'fr-1'));
        await s.create({ apiVersion: 'weft/v1', kind: 'DataClass', metadata: { name: 'restricted' }, spec: { allowedCountries: ['DE'] } });
      },
    });
    const project = (await store.get({ kind: 'Project', name: P }))!;
    await store.update({ ...project, spec: { dataClass: 'restricted' } });
    // Stored without admission, as work admitted before the restriction would be: no sites in its spec.
    await store.create({ apiVersion: 'weft/v1', kind: 'Job', metadata: { name: 'train', project: P }, spec: { replicas: 1, resources: { cpu: '1', gpu: { count: 8 } } } });
    const get = async (): Promise<Resource | undefined> => store.get({ kind: 'Job', project: P, name: 'train' });
    const explanation = await until('explained', async () => ((await get())?.status?.scheduling as { explanation?: string } | undefined)?.explanation);
    // No node where residency allows: refused for now, with the rule — and placed as soon as one joins.
    expect(explanation).toBe('needs 8×GPU; can never fit this fleet: no node is in a site data residency allows; data residency allows only de-1 (data class restricted: countries DE)');

    await store.create(nodeIn('de-a', 'de-1'));
    await until('running in Germany', async () => ((await get())?.status?.phase === 'Running' ? true : undefined));
    const allocs = await store.list('Allocation', { project: P });
    expect(allocs.items.map((a) => (a.spec as { node: string }).node)).toEqual(['de-a']);
  });
});
