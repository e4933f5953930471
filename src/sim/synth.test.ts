import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fieldOf } from './testing/fields.js';
import { parseAlibabaNodes } from './alibaba.js';
import { parseCsv, type CsvRow } from './csv.js';
import { podMix, synthesizePods } from './synth.js';
import { HAS_TRACES, SKIP_NOTE, tracePath } from './testing/traces.js';

const GIB_MIB = 1024;

/** A small pod list: 20 CPU-only, 50 shares, 25 single GPUs, 5 multi-GPU tasks. */
function pods(): CsvRow[] {
  const rows: CsvRow[] = [];
  const add = (cpu: number, num: number, milli: number) =>
    rows.push({ name: `pod-${String(rows.length).padStart(3, '0')}`, cpu_milli: String(cpu), memory_mib: String(8 * GIB_MIB), num_gpu: String(num), gpu_milli: String(milli), gpu_spec: '' });
  for (let i = 0; i < 20; i++) add(2000 + 100 * i, 0, 0);
  for (let i = 0; i < 50; i++) add(4000, 1, 200 + 10 * i);
  for (let i = 0; i < 25; i++) add(8000, 1, 1000);
  for (let i = 0; i < 5; i++) add(32000, 4 + 4 * (i % 2), 1000);
  return rows;
}

const fleet = [
  { name: 'a', cpuMilli: 96_000, memoryBytes: 384 * GIB_MIB ** 3, gpus: 8, gpuModel: 'G2' },
  { name: 'b', cpuMilli: 64_000, memoryBytes: 256 * GIB_MIB ** 3, gpus: 2, gpuModel: 'P100' },
  { name: 'c', cpuMilli: 16_000, memoryBytes: 64 * GIB_MIB ** 3, gpus: 1, gpuModel: 'T4' },
];

describe('weft sim synth', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const axes = { cpuOnly: 0.4, gpuSharing: 0.6, modelConstrained: 0.3 };
    const a = synthesizePods(pods(), fleet, axes, 7);
    expect(synthesizePods(pods(), fleet, axes, 7)).toEqual(a);
    expect(synthesizePods(pods(), fleet, axes, 8)).not.toEqual(a);
  });

  it('moves each axis to its target and leaves the others as they were', () => {
    const src = podMix(pods());
    const cpu = podMix(synthesizePods(pods(), undefined, { cpuOnly: 0.5 }, 1));
    expect(cpu.cpuOnly).toBe(0.5);
    expect(cpu).toMatchObject({ gpuSharing: src.gpuSharing, multiGpu: src.multiGpu, gpuRequest: src.gpuRequest });
    expect(podMix(synthesizePods(pods(), undefined, { cpuOnly: 0 }, 1)).cpuOnly).toBe(0);
    const share = podMix(synthesizePods(pods(), undefined, { gpuSharing: 0.7 }, 1));
    expect(share.gpuSharing).toBeCloseTo(0.7, 1);
    expect(share.cpuOnly).toBe(src.cpuOnly); // the GPU task count is kept
    const multi = podMix(synthesizePods(pods(), undefined, { multiGpu: 0.5 }, 1));
    expect(multi.multiGpu).toBeCloseTo(0.5, 1);
    // The other two GPU pools keep their ratio to each other.
    expect(multi.gpuSharing / (1 - multi.multiGpu)).toBeCloseTo(src.gpuSharing / (1 - src.multiGpu), 1);
    const none = podMix(synthesizePods(pods(), undefined, { multiGpu: 0, gpuSharing: 0 }, 1));
    expect(none).toMatchObject({ multiGpu: 0, gpuSharing: 0 });
    expect(podMix(synthesizePods(pods(), fleet, { modelConstrained: 0.4 }, 1)).modelConstrained).toBe(0.4);
  });

  it('only resamples rows of the list: kept rows unchanged, copies named after their source', () => {
    const src = pods();
    const byName = new Map(src.map((r) => [r['name']!, r]));
    const out = synthesizePods(src, undefined, { cpuOnly: 0.6, gpuSharing: 0.2 }, 3);
    expect(new Set(out.map((r) => r['name'])).size).toBe(out.length);
    for (const r of out) {
      const origin = byName.get(r['name']!.replace(/-synth-\d+$/, ''))!;
      expect(origin).toBeDefined();
      expect({ ...r, name: origin['name'] }).toEqual(origin);
    }
  });

  it('names for a constrained task one model whose nodes could host it', () => {
    for (const pick of ['capacity', 'uniform'] as const) {
      const out = synthesizePods(pods(), fleet, { modelConstrained: 1, modelPick: pick }, 5);
      for (const r of out) {
        if (Number(r['num_gpu']) === 0) continue;
        const host = fleet.filter((n) => n.gpuModel === r['gpu_spec']);
        expect(host.length, `${r['name']} → ${r['gpu_spec']}`).toBe(1);
        expect(host[0]!.gpus).toBeGreaterThanOrEqual(Number(r['num_gpu']));
        expect(host[0]!.cpuMilli).toBeGreaterThanOrEqual(Number(r['cpu_milli']));
      }
    }
  });

  it('refuses impossible asks, naming the axis', () => {
    expect(fieldOf(() => synthesizePods(pods(), undefined, { cpuOnly: 1.2 }, 1))).toBe('cpuOnly');
    expect(fieldOf(() => synthesizePods(pods(), undefined, { gpuSharing: 0.7, multiGpu: 0.6 }, 1))).toBe('multiGpu');
    expect(fieldOf(() => synthesizePods(pods(), undefined, { modelConstrained: 0.2 }, 1))).toBe('nodes');
    const noMulti = pods().filter((r) => Number(r['num_gpu']) <= 1);
    expect(fieldOf(() => synthesizePods(noMulti, undefined, { multiGpu: 0.3 }, 1))).toBe('multiGpu');
  });

  it.skipIf(!HAS_TRACES)(`reproduces the published cpu axis from the default trace${SKIP_NOTE}`, () => {
    const rows = parseCsv(readFileSync(tracePath('openb_pod_list_default.csv'), 'utf8'));
    const nodes = parseAlibabaNodes(readFileSync(tracePath('openb_node_list_gpu_node.csv'), 'utf8'));
    const cpu200 = podMix(parseCsv(readFileSync(tracePath('openb_pod_list_cpu200.csv'), 'utf8')));
    const ours = podMix(synthesizePods(rows, nodes, { cpuOnly: 0.2 }, 1));
    // The authors' variant has 1,768 CPU-only tasks of 8,832 (0.2002); ours 1,766 of 8,830.
    expect(ours).toMatchObject({ gpuSharing: cpu200.gpuSharing, multiGpu: cpu200.multiGpu, modelConstrained: 0, gpuRequest: cpu200.gpuRequest });
    expect(Math.abs(ours.tasks - cpu200.tasks)).toBeLessThanOrEqual(2);
    expect(ours.cpuOnly).toBeCloseTo(cpu200.cpuOnly, 3);
  });
});
