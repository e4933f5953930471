// Metering over real HTTP: usage reports and invoices on a hand-computed month (a price change
// mid-month, a preemptible discount, MIG), tenancy of the numbers, the OpenCost export's shape,
// and budgets: threshold Events, a webhook to a loopback server, enforcement at admission.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/control/clock.js';
import { BudgetController } from '../../src/control/metering/budget-controller.js';
import { periodWindow } from '../../src/control/metering/budget.js';
import type { ResourceInput } from '../../src/model/metadata.js';
import { job, mustCreate, project, startHarness, type Harness } from './helpers.js';

const H = 3_600_000;
let h: Harness;

interface AllocOpts {
  project: string;
  name: string;
  workload: string;
  gpus: Record<string, unknown>[];
  cpuMilli?: number;
  memoryBytes?: number;
  start: string;
  end?: string;
  phase?: string;
}

function alloc(o: AllocOpts): ResourceInput {
  return {
    apiVersion: 'weft/v1',
    kind: 'Allocation',
    metadata: { name: o.name, project: o.project },
    spec: {
      workload: { kind: 'Job', name: o.workload, uid: '00000000-0000-0000-0000-000000000000' },
      replica: 0,
      attempt: 0,
      node: 'n1',
      gpus: o.gpus,
      cpuMilli: o.cpuMilli ?? 0,
      memoryBytes: o.memoryBytes ?? 0,
    },
    status: { phase: o.phase ?? (o.end ? 'Succeeded' : 'Running'), startedAt: o.start, ...(o.end ? { finishedAt: o.end } : {}) },
  };
}

const h100 = (index: number) => ({ index, model: 'H100-80GB', milli: 1000 });

beforeAll(async () => {
  h = await startHarness();
  for (const p of ['vision', 'other', 'budgeted']) await mustCreate(h, '/api/v1/projects', project(p));
  await mustCreate(h, '/api/v1/nodes', { apiVersion: 'weft/v1', kind: 'Node', metadata: { name: 'n1' }, spec: { site: 'eu-fra-1', cpu: '64', memory: '512Gi', gpus: [] } });
  await mustCreate(h, '/api/v1/priorityclasses', { apiVersion: 'weft/v1', kind: 'PriorityClass', metadata: { name: 'spot' }, spec: { value: 1, preemptible: true } });
  await mustCreate(h, '/api/v1/pricebooks', {
    apiVersion: 'weft/v1',
    kind: 'PriceBook',
    metadata: { name: 'list-prices' },
    spec: {
      currency: 'EUR',
      preemptibleDiscountPercent: 30,
      prices: [
        { resource: 'gpu', model: 'H100-80GB', pricePerHour: '2.50', effectiveUntil: '2026-10-15T00:00:00Z' },
        { resource: 'gpu', model: 'H100-80GB', pricePerHour: '2.00', effectiveFrom: '2026-10-15T00:00:00Z' },
        { resource: 'mig', model: 'A100-80GB', profile: '1g.10gb', pricePerHour: '0.40' },
        { resource: 'cpu', pricePerHour: '0.05' },
        { resource: 'memory', pricePerHour: '0.01' },
      ],
    },
  });
  const s = h.store;
  await s.create({ apiVersion: 'weft/v1', kind: 'Job', metadata: { name: 'spot-run', project: 'vision' }, spec: { priorityClass: 'spot', queue: 'team-a' } });
  // 2×H100 for 4 h across the price change: 2×2×2.50 + 2×2×2.00 = 18.00; 16 core-hours 0.80; 32 GiB-hours 0.32.
  await s.create(alloc({ project: 'vision', name: 'train-0', workload: 'train', gpus: [h100(0), h100(1)], cpuMilli: 4000, memoryBytes: 8 * 2 ** 30, start: '2026-10-14T22:00:00Z', end: '2026-10-15T02:00:00Z' }));
  // Preemptible: 1×H100 for 10 h at 2.00 less 30% = 14.00.
  await s.create(alloc({ project: 'vision', name: 'spot-run-0', workload: 'spot-run', gpus: [h100(2)], start: '2026-10-20T00:00:00Z', end: '2026-10-20T10:00:00Z', phase: 'Preempted' }));
  // One 1g.10gb MIG instance for 5 h at 0.40 = 2.00.
  await s.create(alloc({ project: 'vision', name: 'nb-0', workload: 'nb', gpus: [{ index: 3, model: 'A100-80GB', milli: 142, mig: { profile: '1g.10gb', start: 0, size: 1 } }], start: '2026-10-21T00:00:00Z', end: '2026-10-21T05:00:00Z' }));
  // Another project: 1 h at 2.50.
  await s.create(alloc({ project: 'other', name: 'x-0', workload: 'x', gpus: [h100(4)], start: '2026-10-05T00:00:00Z', end: '2026-10-05T01:00:00Z' }));
});
afterAll(async () => h?.close());

const OCT = 'from=2026-10-01T00:00:00Z&to=2026-11-01T00:00:00Z';

describe('usage and invoices over HTTP', () => {
  it('reports usage by model, exact to the hand-computed figures', async () => {
    const r = await h.call('GET', `/api/v1/usage?project=vision&${OCT}&by=model`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ from: '2026-10-01T00:00:00.000Z', to: '2026-11-01T00:00:00.000Z', by: 'model', currency: 'EUR' });
    expect(r.body.rows).toEqual([
      { key: 'A100-80GB 1g.10gb', gpuHours: 0.71, cpuCoreHours: 0, memoryGiBHours: 0, cost: '2.00' },
      { key: 'H100-80GB', gpuHours: 18, cpuCoreHours: 16, memoryGiBHours: 32, cost: '33.12' },
    ]);
    const byProject = await h.call('GET', `/api/v1/usage?${OCT}&by=project`);
    expect(byProject.body.rows.map((x: { key: string; cost: string }) => [x.key, x.cost])).toEqual([
      ['other', '2.50'],
      ['vision', '35.12'],
    ]);
    const daily = await h.call('GET', `/api/v1/usage?project=vision&${OCT}&by=queue&step=day`);
    expect(daily.body.series.find((p: { t: string }) => p.t === '2026-10-20T00:00:00.000Z')).toEqual({ t: '2026-10-20T00:00:00.000Z', key: 'team-a', gpuHours: 10, cost: '14.00' });
  });

  it('invoices a month: lines per price, the discount on its own line, total = sum of lines', async () => {
    const r = await h.call('GET', '/api/v1/projects/vision/invoices/2026-10');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ project: 'vision', month: '2026-10', currency: 'EUR', total: '35.12' });
    expect(r.body.lines.map((l: Record<string, unknown>) => [l.resource, l.quantity, l.unitPrice, l.amount])).toEqual([
      ['cpu', 16, '0.05', '0.80'],
      ['gpu:H100-80GB', 10, '1.40', '14.00'],
      ['gpu:H100-80GB', 4, '2.00', '8.00'],
      ['gpu:H100-80GB', 4, '2.50', '10.00'],
      ['memory', 32, '0.01', '0.32'],
      ['mig:A100-80GB:1g.10gb', 5, '0.40', '2.00'],
    ]);
    expect(r.body.lines[1].description).toMatch(/preemptible −30%/);
    expect((await h.call('GET', '/api/v1/projects/vision/invoices/2026-13')).status).toBe(400);
    expect((await h.call('GET', '/api/v1/projects/nope/invoices/2026-10')).status).toBe(404);
  });

  it('shows each reader only the projects it may read', async () => {
    const viewer = await h.user('olga', [{ role: 'viewer', project: 'other' }]);
    const forbidden = await h.call('GET', `/api/v1/usage?project=vision&${OCT}`, { token: viewer });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.detail).toMatch(/may not read the usage of project "vision"/);
    expect((await h.call('GET', '/api/v1/projects/vision/invoices/2026-10', { token: viewer })).status).toBe(403);
    const own = await h.call('GET', `/api/v1/usage?${OCT}&by=project`, { token: viewer });
    expect(own.body.rows.map((x: { key: string }) => x.key)).toEqual(['other']);
    const oc = await h.call('GET', '/api/v1/opencost/allocation?window=2026-10-01T00:00:00Z,2026-11-01T00:00:00Z', { token: viewer });
    expect(Object.keys(oc.body.data[0])).toEqual(['other']);
    expect((await h.call('GET', `/api/v1/usage?${OCT}`, { token: null })).status).toBe(401);
  });

  it('refuses bad parameters with 4xx naming the field', async () => {
    for (const [q, field] of [
      ['by=colour', 'by'],
      ['from=yesterday', 'from'],
      ['from=2026-10-02T00:00:00Z&to=2026-10-01T00:00:00Z', 'to'],
      ['step=minute', 'step'],
    ]) {
      const r = await h.call('GET', `/api/v1/usage?${q}`);
      expect(r.status, q).toBeGreaterThanOrEqual(400);
      expect(r.status, q).toBeLessThan(500);
      expect(r.body.detail, q).toContain(field);
    }
    const w = await h.call('GET', '/api/v1/opencost/allocation?window=fortnight');
    expect(w.status).toBe(422);
    expect(w.body.detail).toContain('window');
  });

  it('exports OpenCost-shaped allocations: project → namespace', async () => {
    const r = await h.call('GET', '/api/v1/opencost/allocation?window=2026-10-01T00:00:00Z,2026-11-01T00:00:00Z&aggregate=namespace');
    expect(r.status).toBe(200);
    expect(r.body.code).toBe(200);
    expect(r.body.data).toHaveLength(1);
    const v = r.body.data[0].vision;
    expect(v).toMatchObject({
      name: 'vision',
      properties: { cluster: 'eu-fra-1', namespace: 'vision' },
      window: { start: '2026-10-01T00:00:00.000Z', end: '2026-11-01T00:00:00.000Z' },
      start: '2026-10-14T22:00:00.000Z',
      end: '2026-10-21T05:00:00.000Z',
      cpuCoreHours: 16,
      ramByteHours: 32 * 2 ** 30,
      gpuCost: 34,
      cpuCost: 0.8,
      ramCost: 0.32,
      pvCost: 0,
      networkCost: 0,
    });
    expect(v.gpuHours).toBeCloseTo(18 + 5 * 0.142, 6); // a 1g instance weighs 0.142 of a GPU
    expect(v.totalCost).toBeCloseTo(35.12, 9);
    const byPod = await h.call('GET', '/api/v1/opencost/allocation?window=2026-10-01T00:00:00Z,2026-11-01T00:00:00Z&aggregate=namespace,pod');
    expect(Object.keys(byPod.body.data[0])).toContain('vision/train-0');
    expect(byPod.body.data[0]['vision/train-0'].properties).toMatchObject({ namespace: 'vision', pod: 'train-0' });
  });
});

describe('budgets', () => {
  let hook: Server;
  let hookUrl = '';
  const received: Record<string, unknown>[] = [];
  let failFirst = true;
  beforeAll(async () => {
    hook = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        // The first delivery fails: the controller must retry.
        if (failFirst) {
          failFirst = false;
          res.writeHead(503).end();
          return;
        }
        received.push(JSON.parse(body) as Record<string, unknown>);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    const addr = hook.address();
    hookUrl = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/alerts`;
  });
  afterAll(() => new Promise<void>((r) => hook.close(() => r())));

  it('alerts at thresholds once per period (Event + webhook), then enforcement refuses new work', { timeout: 30_000 }, async () => {
    // The current month, so enforcement (which compares with the real time) applies now.
    const month = periodWindow('month', new Date());
    const t0 = month.from.getTime();
    const clock = new ManualClock(t0 + 7 * H);
    await mustCreate(h, '/api/v1/projects/budgeted/budgets', {
      apiVersion: 'weft/v1',
      kind: 'Budget',
      metadata: { name: 'gpu-hours', project: 'budgeted' },
      spec: { period: 'month', limit: { gpuHours: 10 }, thresholds: [50, 80, 100], webhook: { url: hookUrl }, enforce: true },
    });
    await mustCreate(h, '/api/v1/projects/budgeted/jobs', job('running'));
    // One GPU running since one hour into the month.
    await h.store.create(alloc({ project: 'budgeted', name: 'running-0', workload: 'running', gpus: [h100(7)], start: new Date(t0 + H).toISOString() }));
    const controller = new BudgetController({ store: h.store, clock, webhookAttempts: 3 });

    // 6 of 10 GPU-hours: the 50% threshold.
    let alerts = await controller.evaluateAll();
    expect(alerts.map((a) => a.threshold)).toEqual([50]);
    expect(received).toHaveLength(1); // delivered on the second attempt
    expect(received[0]).toMatchObject({ budget: 'gpu-hours', project: 'budgeted', threshold: 50, percent: 60, exhausted: false });
    let b = (await h.call('GET', '/api/v1/projects/budgeted/budgets/gpu-hours')).body;
    expect(b.status).toMatchObject({ period: month.label, percent: 60, alerted: [50], exhausted: false, used: { gpuHours: 6 }, webhook: { lastStatus: '204' } });

    // Evaluating again in the same state alerts nothing new.
    expect(await controller.evaluateAll()).toEqual([]);
    expect(received).toHaveLength(1);

    // 11 of 10: 80% and 100% both pass; the budget is exhausted.
    clock.advance(5 * H);
    alerts = await controller.evaluateAll();
    expect(alerts.map((a) => a.threshold)).toEqual([80, 100]);
    expect(received.map((a) => a.threshold)).toEqual([50, 80, 100]);
    b = (await h.call('GET', '/api/v1/projects/budgeted/budgets/gpu-hours')).body;
    expect(b.status).toMatchObject({ percent: 110, alerted: [50, 80, 100], exhausted: true });
    const events = (await h.call('GET', '/api/v1/projects/budgeted/events')).body.items.map((e: { spec: { reason: string; message: string } }) => e.spec);
    expect(events.map((e: { reason: string }) => e.reason).sort()).toEqual(['BudgetExhausted', 'BudgetThreshold', 'BudgetThreshold']);
    expect(events.find((e: { reason: string }) => e.reason === 'BudgetExhausted').message).toContain('11 of 10 GPU-hours used this month');

    // New work is refused with a clear message; running work continues.
    const refused = await h.call('POST', '/api/v1/projects/budgeted/jobs', { body: job('more') });
    expect(refused.status).toBe(403);
    expect(refused.body.detail).toMatch(/budget "gpu-hours" of project "budgeted" is exhausted: 11 of 10 GPU-hours used this month; running work continues/);
    const running = (await h.call('GET', '/api/v1/projects/budgeted/allocations/running-0')).body;
    expect(running.status.phase).toBe('Running');
    // Other projects are not affected.
    await mustCreate(h, '/api/v1/projects/other/jobs', job('fine'));

    // Raising the limit lifts enforcement at the next evaluation.
    await h.call('PATCH', '/api/v1/projects/budgeted/budgets/gpu-hours', { body: { spec: { limit: { gpuHours: 100 } } } });
    await controller.evaluateAll();
    await mustCreate(h, '/api/v1/projects/budgeted/jobs', job('more'));
  });

  it('validates a Budget, naming the field', async () => {
    const r = await h.call('POST', '/api/v1/projects/budgeted/budgets', {
      body: { apiVersion: 'weft/v1', kind: 'Budget', metadata: { name: 'bad', project: 'budgeted' }, spec: { limit: { amount: '12.3456789' } } },
    });
    expect(r.status).toBe(422);
    expect(r.text).toContain('spec.limit');
  });
});
