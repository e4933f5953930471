// /metrics over real HTTP, read back with a Prometheus text-format parser.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { mustCreate, project, startHarness, type Harness } from './helpers.js';

interface Sample {
  value?: string;
  labels?: Record<string, string>;
  buckets?: Record<string, string>;
  count?: string;
}
interface Family {
  name: string;
  type: string;
  metrics: Sample[];
}

let h: Harness;
let viewer: string;
let member: string;
let startedAt: Date;

const scrape = async (token?: string): Promise<Map<string, Family>> => {
  const r = await h.call('GET', '/metrics', token ? { token } : {});
  expect(r.status).toBe(200);
  expect(r.headers.get('content-type')).toMatch(/^text\/plain/);
  const families = parsePrometheusTextFormat(r.text) as Family[];
  return new Map(families.map((f) => [f.name, f]));
};

const value = (f: Family | undefined, labels: Record<string, string> = {}): number | undefined => {
  const s = f?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  return s?.value === undefined ? undefined : Number(s.value);
};

beforeAll(async () => {
  h = await startHarness();
  await mustCreate(h, '/api/v1/projects', project('vision'));
  viewer = await h.user('auditor', [{ role: 'viewer' }]);
  member = await h.user('dev', [{ role: 'member', project: 'vision' }]);
  await mustCreate(h, '/api/v1/nodes', {
    apiVersion: 'weft/v1',
    kind: 'Node',
    metadata: { name: 'gpu-1' },
    spec: { site: 'eu-fra-1', cpu: '64', memory: '512Gi', gpus: Array.from({ length: 8 }, (_, index) => ({ index, model: 'H100-80GB' })) },
  });
  const alloc = await mustCreate(h, '/api/v1/projects/vision/allocations', {
    apiVersion: 'weft/v1',
    kind: 'Allocation',
    metadata: { name: 'train-0' },
    spec: {
      workload: { kind: 'Job', name: 'train', uid: 'u-train' },
      replica: 0,
      attempt: 0,
      node: 'gpu-1',
      gpus: [0, 1].map((index) => ({ index, model: 'H100-80GB', milli: 1000 })),
      cpuMilli: 16000,
      memoryBytes: 2 ** 36,
      isolation: 'dedicated',
    },
  });
  await mustCreate(h, '/api/v1/pricebooks', {
    apiVersion: 'weft/v1',
    kind: 'PriceBook',
    metadata: { name: 'list' },
    spec: { currency: 'EUR', prices: [{ resource: 'gpu', model: 'H100-80GB', pricePerHour: '2.00' }] },
  });
  // Started two hours ago: the open usage interval counts up to the scrape.
  startedAt = new Date(Date.now() - 2 * 3600_000);
  const st = await h.call('PUT', `/api/v1/projects/vision/allocations/train-0/status`, {
    body: { ...alloc, status: { phase: 'Running', startedAt: startedAt.toISOString(), gpuUtilization: 87.5 } },
  });
  expect(st.status).toBe(200);
}, 30_000);

afterAll(async () => {
  await h?.close();
});

describe('/metrics', () => {
  it('reports the fleet in the Prometheus text format', async () => {
    const m = await scrape();
    expect(m.get('weft_gpus_total')?.type).toBe('GAUGE');
    expect(value(m.get('weft_gpus_total'), { model: 'H100-80GB', site: 'eu-fra-1' })).toBe(8);
    expect(value(m.get('weft_gpus_allocated'), { model: 'H100-80GB', site: 'eu-fra-1' })).toBe(2);
    expect(value(m.get('weft_gpus_free'), { model: 'H100-80GB', site: 'eu-fra-1' })).toBe(6);
    expect(value(m.get('weft_gpus_allocated_by_isolation'), { isolation: 'dedicated' })).toBe(2);
    expect(value(m.get('weft_gpu_allocation_ratio'))).toBe(0.25);
    expect(value(m.get('weft_project_gpus_allocated'), { project: 'vision', model: 'H100-80GB' })).toBe(2);
    expect(value(m.get('weft_allocation_gpu_utilization_percent'), { project: 'vision', allocation: 'train-0' })).toBe(87.5);
    // 2 GPUs × 2.00 EUR/h since startedAt (this month's part of it, when the month just turned).
    const monthStart = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), 1);
    const hours = (Date.now() - Math.max(startedAt.getTime(), monthStart)) / 3600_000;
    const spend = value(m.get('weft_project_spend_month'), { project: 'vision', currency: 'EUR' })!;
    expect(spend).toBeGreaterThan(2 * 2 * hours - 0.1);
    expect(spend).toBeLessThan(2 * 2 * hours + 0.1);
    for (const name of ['weft_gpu_fragmentation_ratio', 'weft_queue_depth', 'weft_nodes', 'weft_workloads']) expect(m.has(name), name).toBe(true);
    expect(m.get('weft_scheduling_cycle_duration_seconds')?.type).toBe('HISTOGRAM');
    expect(m.get('weft_queue_wait_seconds')?.type).toBe('HISTOGRAM');
  });

  it('times API requests by route template', async () => {
    await h.call('GET', '/api/v1/projects/vision/jobs');
    const r = await h.call('GET', '/metrics');
    expect((await scrape()).get('weft_api_request_duration_seconds')?.type).toBe('HISTOGRAM');
    // The parser folds a labelled histogram into one sample, so its per-route count is read off the text.
    const count = /^weft_api_request_duration_seconds_count\{([^}]*)\} (\d+)$/gm;
    const routes = [...r.text.matchAll(count)].map((m) => ({ labels: m[1]!, n: Number(m[2]) }));
    const jobs = routes.find((x) => x.labels.includes('method="GET"') && x.labels.includes('route="/api/v1/projects/:project/jobs"'));
    expect(jobs, JSON.stringify(routes)).toBeDefined();
    expect(jobs!.n).toBeGreaterThanOrEqual(1);
  });

  it('is for cluster-wide readers only', async () => {
    expect(value((await scrape(viewer)).get('weft_gpus_total'), { model: 'H100-80GB' })).toBe(8);
    expect((await h.call('GET', '/metrics', { token: member })).status).toBe(403);
    expect((await h.call('GET', '/metrics', { token: null })).status).toBe(401);
  });

  it('serves every metric the Grafana dashboard queries', async () => {
    const dashboard = readFileSync(new URL('../../deploy/grafana/weft-fleet.json', import.meta.url), 'utf8');
    const used = new Set([...dashboard.matchAll(/\b(weft_[a-z_]+)/g)].map((m) => m[1]!.replace(/_(bucket|count|sum)$/, '')));
    expect(used.size).toBeGreaterThan(10);
    const served = await scrape();
    expect([...used].filter((name) => !served.has(name))).toEqual([]);
  });
});
