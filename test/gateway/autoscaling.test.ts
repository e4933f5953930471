// Serving end to end in one process: the control plane (scheduling loop, Service controller,
// autoscaler), the gateway, and a stand-in node agent running real local HTTP replicas. A bounded
// burst scales a Service up and, after the scale-down window, back down; a Service at zero holds
// its first request until a replica is ready.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isActive, stopRequested } from '../../src/control/workloads/allocations.js';
import { startFakeAgent, type FakeAgent } from './fake-agent.js';
import { PROJECT, startGatewayHarness, until, type GatewayHarness } from './helpers.js';

let h: GatewayHarness;
let agent: FakeAgent;

beforeAll(async () => {
  h = await startGatewayHarness({ controlPlane: true, autoscalerPeriodMs: 200, holdTimeoutMs: 15_000 });
  // Each request takes 200 ms at the replica.
  agent = await startFakeAgent(h.store, { delayMs: 200 });
}, 120_000);
afterAll(async () => {
  await agent?.stop();
  await h?.close();
});

const live = async (service: string) =>
  (await h.store.list('Allocation', { project: PROJECT, labelSelector: `weft.dev/workload=${service}` })).items.filter((a) => isActive(a) && !stopRequested(a));
const desired = async (service: string) => (await h.store.get({ kind: 'Service', project: PROJECT, name: service }))?.status?.desiredReplicas;

/**
 * At least `total` requests through the gateway, `concurrency` at a time, and on until `enough()`
 * holds or `capMs` has passed (a loaded machine starts replicas slowly); returns the status codes.
 */
async function burst(service: string, total: number, concurrency: number, enough: () => boolean = () => true, capMs = 30_000): Promise<number[]> {
  const codes: number[] = [];
  const failures: string[] = [];
  const stopAt = Date.now() + capMs;
  let next = 0;
  const more = () => next < total || (!enough() && Date.now() < stopAt);
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (more()) {
        next++;
        const r = await h.call('POST', `/${PROJECT}/${service}/v1/completions`, { body: { prompt: 'hi' } });
        if (r.status !== 200) failures.push(`${r.status} ${r.text}`);
        codes.push(r.status);
      }
    }),
  );
  if (failures.length > 0) throw new Error(`${failures.length} of ${codes.length} requests failed: ${[...new Set(failures)].slice(0, 5).join('; ')}`);
  return codes;
}

describe('autoscaling through the gateway', () => {
  it('scales up under a bounded burst and back down after the stabilisation window', async () => {
    await h.createService('llm', {
      replicas: { min: 1, max: 4 },
      readiness: { path: '/ready', periodSeconds: 1 },
      autoscaling: { targetInFlight: 5, scaleDownStabilizationSeconds: 2 },
    });
    await until('one ready replica', async () => h.gateway.table.readyReplicas(PROJECT, 'llm').length === 1);

    let peak = 0;
    const watchPeak = setInterval(() => void desired('llm').then((d) => (peak = Math.max(peak, typeof d === 'number' ? d : 0))), 50);
    const servedBy = () => [...agent.replicas.values()].filter((r) => r.hits > 0).length;
    const codes = await burst('llm', 200, 20, () => servedBy() > 1);
    clearInterval(watchPeak);
    expect(codes.length).toBeGreaterThanOrEqual(200);
    expect(codes.every((c) => c === 200)).toBe(true);
    // 20 in flight / 5 per replica.
    expect(peak).toBe(4);
    // The new replicas took part.
    expect(servedBy()).toBeGreaterThan(1);

    let seen = '';
    await until(() => `back to one replica (desired, live: ${seen})`, async () => {
      const d = await desired('llm');
      const n = (await live('llm')).length;
      seen = `${d}, ${n}; in flight ${h.gateway.traffic.inFlight(PROJECT, 'llm')}`;
      return d === 1 && n === 1;
    }, 40_000);
    const events = (await h.store.list('Event', { project: PROJECT })).items.map((e) => e.spec as { reason: string; message: string });
    expect(events.some((e) => e.reason === 'ScaledUp' && e.message.startsWith('1 → '))).toBe(true);
    expect(events.some((e) => e.reason === 'ScaledDown' && e.message.endsWith('is 1'))).toBe(true);
    // Still serving after the scale-down.
    expect((await h.call('GET', `/${PROJECT}/llm/`)).status).toBe(200);
  }, 90_000);

  it('scales to zero when idle and holds the first request until a replica is ready', async () => {
    await h.createService('cold', {
      replicas: { min: 0, max: 2 },
      readiness: { path: '/ready', periodSeconds: 1, initialDelaySeconds: 1 },
      autoscaling: { targetInFlight: 4, scaleDownStabilizationSeconds: 0, scaleToZeroAfterSeconds: 1 },
    });
    // min 0: nothing runs until asked.
    await new Promise((r) => setTimeout(r, 500));
    expect(await live('cold')).toHaveLength(0);

    const first = await h.call('POST', `/${PROJECT}/cold/v1/completions`, { body: { prompt: 'wake up' } });
    expect(first.status).toBe(200);
    expect(first.body.body).toBe(JSON.stringify({ prompt: 'wake up' }));
    expect(await desired('cold')).toBe(1);

    await until('scaled back to zero', async () => (await desired('cold')) === 0 && (await live('cold')).length === 0, 40_000);
    expect(h.gateway.table.readyReplicas(PROJECT, 'cold')).toHaveLength(0);
    // And up again.
    expect((await h.call('GET', `/${PROJECT}/cold/`)).status).toBe(200);
  }, 90_000);
});
