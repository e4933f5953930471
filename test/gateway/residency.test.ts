// The gateway keeps to the project's data residency: a ready replica on a node outside the
// project's allowed countries gets no requests, and when residency tightens so that no replica
// is inside it, callers hear 503 saying so.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT, startGatewayHarness, startReplica, until, writeReplica, type FakeReplica, type GatewayHarness } from './helpers.js';

let h: GatewayHarness;
const replicas: FakeReplica[] = [];

beforeAll(async () => {
  h = await startGatewayHarness({ holdTimeoutMs: 500 });
  for (const [site, country] of [['de-1', 'DE'], ['fr-1', 'FR']]) {
    await h.store.create({ apiVersion: 'weft/v1', kind: 'Site', metadata: { name: site! }, spec: { country } });
    // Registered at 127.0.0.1, where the test's replicas listen (the gateway routes nowhere else).
    await h.store.create({ apiVersion: 'weft/v1', kind: 'Node', metadata: { name: `node-${site}` }, spec: { site, cpu: '64', memory: '256Gi', gpus: [] }, status: { address: '127.0.0.1' } });
  }
}, 120_000);
afterAll(async () => {
  await h?.close();
  await Promise.all(replicas.map((r) => r.close()));
});

async function setCountries(countries: string[] | null): Promise<void> {
  const r = await h.call('PATCH', `/api/v1/projects/${PROJECT}`, { body: { spec: { allowedCountries: countries } } });
  expect(r.status, r.text).toBe(200);
}

describe('gateway residency', () => {
  it('routes only to replicas inside the residency, and says so when none is', async () => {
    const svc = await h.createService('sovereign', { replicas: { min: 2, max: 2 }, readiness: { path: '/ready', periodSeconds: 1 } });
    const de = await startReplica('de');
    const fr = await startReplica('fr');
    replicas.push(de, fr);
    await writeReplica(h.store, svc, 0, { phase: 'Running', endpoint: de.url }, 'node-de-1');
    await writeReplica(h.store, svc, 1, { phase: 'Running', endpoint: fr.url }, 'node-fr-1');
    await until('both ready', async () => h.gateway.table.readyReplicas(PROJECT, 'sovereign').length === 2);

    await setCountries(['DE']);
    await until('residency applied', async () => h.gateway.table.readyReplicas(PROJECT, 'sovereign').length === 1);
    for (let i = 0; i < 8; i++) expect((await h.call('GET', `/${PROJECT}/sovereign/x`)).body.replica).toBe('de');
    const frHits = fr.hits;

    await setCountries(['IT']);
    await until('no replica inside', async () => h.gateway.table.readyReplicas(PROJECT, 'sovereign').length === 0);
    const r = await h.call('GET', `/${PROJECT}/sovereign/x`);
    expect(r.status).toBe(503);
    expect(r.body.detail).toBe(`service "sovereign" in project "${PROJECT}" has no ready replicas within its data residency (2 ready outside it: project ${PROJECT}: countries IT)`);
    expect(fr.hits).toBe(frHits);

    await setCountries(null);
    await until('all back', async () => h.gateway.table.readyReplicas(PROJECT, 'sovereign').length === 2);
  });
});
