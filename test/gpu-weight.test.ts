// One GPU weight everywhere (model/allocation-rules.ts): the same allocations, counted by every
// place that reports GPUs — `weft top nodes` and `weft top projects`, `weft top fleet` (the
// store's fleet summary), the console's fleet page, /metrics, project quotas, fair-share queues
// and metering — give the same figures. The MIG mix is where they used to disagree: a 3g instance
// was 3/7 of a GPU in some places and 4/8 in others.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeUsage, projectUsage } from '../src/cli/output/usage.js';
import { fleetGauges } from '../src/control/fleet-metrics.js';
import { FleetView } from '../src/control/fleet-view.js';
import { compilePrices, priceIntervals } from '../src/control/metering/pricing.js';
import { usageReport } from '../src/control/metering/report.js';
import { QueueState } from '../src/control/queue-state.js';
import { ANY_GPU, chargesOf } from '../src/control/quota.js';
import { chargesQuota, type WorkloadSpec } from '../src/control/workload.js';
import { migMilli } from '../src/model/allocation-rules.js';
import { WORKLOAD_KIND_NAMES } from '../src/model/kind-names.js';
import type { Resource, ResourceInput } from '../src/model/metadata.js';
import { ANY_GPU_KEY } from '../src/scheduler/index.js';
import { openStore } from '../src/store/index.js';
import type { Store } from '../src/store/types.js';
import { nodeViews } from '../web/src/fleet.js';

const T0 = Date.parse('2026-03-02T10:00:00Z');
const HOUR = 3_600_000;

type Gpu = { index: number; milli?: number; mig?: { profile: string; start: number; size: number } };

/** One workload and the allocation of each replica, as placement writes them (a MIG instance's milli is its weight). */
function workload(project: string, name: string, gpu: WorkloadSpec['resources']['gpu'], node: string, model: string, replicas: Gpu[][]): ResourceInput[] {
  const job: ResourceInput = {
    apiVersion: 'weft/v1',
    kind: 'Job',
    metadata: { name, project },
    spec: { replicas: replicas.length, queue: project, resources: { cpu: '1', memory: '1Gi', gpu } },
    status: { phase: 'Running' },
  };
  const allocs = replicas.map((gpus, r): ResourceInput => ({
    apiVersion: 'weft/v1',
    kind: 'Allocation',
    metadata: { name: `${name}-a0-r${r}`, project, labels: { 'weft.dev/workload': name } },
    spec: {
      workload: { kind: 'Job', name, uid: `uid-${project}-${name}` },
      replica: r,
      attempt: 0,
      node,
      gpus: gpus.map((g) => ({ model, ...g, milli: g.mig ? migMilli(g.mig.profile) : (g.milli ?? 1000) })),
      cpuMilli: 1000,
      memoryBytes: 2 ** 30,
    },
    status: { phase: 'Running', startedAt: new Date(T0).toISOString() },
  }));
  return [job, ...allocs];
}

const node = (name: string, model: string): ResourceInput => ({
  apiVersion: 'weft/v1',
  kind: 'Node',
  metadata: { name },
  spec: { site: 'eu-fra-1', cpu: '128', memory: '1Ti', gpus: Array.from({ length: 8 }, (_, index) => ({ index, model, migEnabled: model.startsWith('A100') })) },
  status: { state: 'Ready' },
});

const mig = (profile: string, start: number, size: number): Gpu => ({ index: 0, mig: { profile, start, size } });

const FIXTURE: ResourceInput[] = [
  node('a1', 'A100-80GB'),
  node('h1', 'H100-80GB'),
  ...['nlp', 'vision'].flatMap((p): ResourceInput[] => [
    { apiVersion: 'weft/v1', kind: 'Project', metadata: { name: p }, spec: { quota: { gpu: { [ANY_GPU]: 16 } } } },
    { apiVersion: 'weft/v1', kind: 'Queue', metadata: { name: p }, spec: { nominalQuota: { gpu: { '*': 16 } } } },
  ]),
  // GPU 0 of a1: seven 1g instances (all its compute); GPU 1: a 3g and a 4g; GPU 2: three 2g.
  ...workload('nlp', 'ones', { mig: '1g.10gb' }, 'a1', 'A100-80GB', [0, 1, 2, 3, 4, 5, 6].map((s) => [mig('1g.10gb', s, 1)])),
  ...workload('nlp', 'three', { mig: '3g.40gb' }, 'a1', 'A100-80GB', [[{ ...mig('3g.40gb', 0, 4), index: 1 }]]),
  ...workload('nlp', 'four', { mig: '4g.40gb' }, 'a1', 'A100-80GB', [[{ ...mig('4g.40gb', 4, 4), index: 1 }]]),
  ...workload('nlp', 'twos', { mig: '2g.20gb' }, 'a1', 'A100-80GB', [0, 2, 4].map((s) => [{ ...mig('2g.20gb', s, 2), index: 2 }])),
  // h1: four whole GPUs and a quarter of a fifth.
  ...workload('vision', 'train', { count: 4 }, 'h1', 'H100-80GB', [[0, 1, 2, 3].map((index) => ({ index }))]),
  ...workload('vision', 'notebook', { share: 0.25 }, 'h1', 'H100-80GB', [[{ index: 4, milli: 250 }]]),
];

/** Milli-GPUs, the unit every figure is compared in (each surface reports GPUs; 0.001 apart is a disagreement). */
const milli = (gpus: number): number => Math.round(gpus * 1000);
const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

// 7 × 142 + 428 + 571 + 3 × 285 and 4 × 1000 + 250.
const EXPECTED = { nlp: 2848, vision: 4250 };
const FLEET = EXPECTED.nlp + EXPECTED.vision;

describe('the GPU weight of the same allocations', () => {
  let store: Store;
  let all: Resource[];
  const ofKind = (kind: string): Resource[] => all.filter((r) => r.kind === kind);
  const byProject = (rows: { project: string; gpus: number }[]): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const r of rows) out[r.project] = (out[r.project] ?? 0) + milli(r.gpus);
    return out;
  };

  beforeAll(async () => {
    store = await openStore();
    for (const r of FIXTURE) await store.create(r);
    all = (await Promise.all(['Node', 'Project', 'Queue', 'Job', 'Allocation'].map((k) => store.list(k)))).flatMap((l) => l.items);
  });
  afterAll(() => store?.close());

  it('weft top nodes and weft top projects', () => {
    expect(sum(nodeUsage(ofKind('Node'), ofKind('Allocation')).map((n) => milli(n.gpusUsed)))).toBe(FLEET);
    expect(byProject(projectUsage(ofKind('Project'), ofKind('Allocation')).map((r) => ({ project: r.project, gpus: r.allocated })))).toEqual(EXPECTED);
  });

  it('weft top fleet (the fleet summary)', async () => {
    const s = await store.summary({ workloadKinds: WORKLOAD_KIND_NAMES });
    expect(sum(s.gpus.map((g) => milli(g.allocated)))).toBe(FLEET);
    expect(byProject(s.held)).toEqual(EXPECTED);
  });

  it('the console', () => {
    const views = nodeViews(ofKind('Node'), ofKind('Allocation'));
    expect(sum(views.flatMap((v) => v.gpus.map((g) => g.milli)))).toBe(FLEET);
  });

  it('/metrics', () => {
    const g = fleetGauges(ofKind('Node'), ofKind('Allocation'), ofKind('Job'));
    expect(sum(g.gpus.map((c) => milli(c.allocated)))).toBe(FLEET);
    expect(byProject(g.projectGpus)).toEqual(EXPECTED);
  });

  it('project quotas', () => {
    const used: Record<string, number> = {};
    for (const j of ofKind('Job').filter(chargesQuota)) {
      const c = chargesOf(j.spec as unknown as WorkloadSpec, { gpu: { [ANY_GPU]: 16 } }).get(`gpu ${ANY_GPU}`) ?? 0;
      used[j.metadata.project!] = (used[j.metadata.project!] ?? 0) + milli(c);
    }
    expect(used).toEqual(EXPECTED);
  });

  it('fair-share queues', () => {
    const fleet = new FleetView();
    for (const n of ofKind('Node')) fleet.applyNode('ADDED', n);
    for (const p of ofKind('Project')) fleet.applyProject('ADDED', p);
    for (const a of ofKind('Allocation')) fleet.applyAllocation('ADDED', a);
    const queues = new QueueState();
    for (const q of ofKind('Queue')) queues.apply('ADDED', q);
    const jobs = new Map(ofKind('Job').map((j) => [`Job/${j.metadata.project}/${j.metadata.name}`, j]));
    const counted = queues.count(fleet, jobs, T0)!;
    const held: Record<string, number> = {};
    for (const g of counted.gangs) held[g.queue!] = (held[g.queue!] ?? 0) + (g.charge[ANY_GPU_KEY] ?? 0);
    expect(held).toEqual(EXPECTED);
  });

  it('metering: an hour of the allocations is that many GPU-hours', async () => {
    const from = new Date(T0);
    const to = new Date(T0 + HOUR);
    const intervals = await store.usage.intervals({ from, to, now: to });
    const report = usageReport(priceIntervals(intervals, compilePrices([])), { from, to, by: 'project', currency: 'EUR' });
    expect(byProject(report.rows.map((r) => ({ project: r.key, gpus: r.gpuHours })))).toEqual(EXPECTED);
  });
});
