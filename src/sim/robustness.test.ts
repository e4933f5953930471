// A small version of the robustness grid (bench/robustness.mjs, docs/benchmarks.md): weft must
// allocate at least as much as fgd on mixes far from the default — the extremes of every axis
// `weft sim synth` spans — not only on the published traces. One seed on a third of the Alibaba
// fleet keeps it to seconds; runs are deterministic, so the margins are exact for this seed.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAlibabaNodes, parseAlibabaPodRows } from './alibaba.js';
import { parseCsv } from './csv.js';
import { runGrid } from './grid.js';
import { summarise } from './summary.js';
import { synthesizePods, type SynthAxes } from './synth.js';
import { HAS_TRACES, SKIP_NOTE, tracePath } from './testing/traces.js';

const VARIANTS: (SynthAxes | null)[] = [
  null, // the default trace itself
  { cpuOnly: 0.5 }, // CPU short for the whole mix
  { modelConstrained: 0.4, modelPick: 'uniform' }, // tasks tied to scarce models
  { modelConstrained: 0.4 },
  { multiGpu: 0.5 },
  { gpuSharing: 1 },
  { cpuOnly: 0, gpuSharing: 0 },
];

describe.skipIf(!HAS_TRACES)(`weft against fgd across workload mixes${SKIP_NOTE}`, () => {
  it('allocates at least as much as fgd at 100% and 130% on every mix', async () => {
    const all = parseAlibabaNodes(readFileSync(tracePath('openb_node_list_gpu_node.csv'), 'utf8'));
    const nodes = all.filter((_, i) => i % 3 === 0);
    const rows = parseCsv(readFileSync(tracePath('openb_pod_list_default.csv'), 'utf8'));
    for (const axes of VARIANTS) {
      const pods = parseAlibabaPodRows(axes ? synthesizePods(rows, all, axes, 1) : rows);
      const runs = await runGrid({ workload: { nodes, pods }, policies: ['fgd', 'weft'], seeds: [42], tune: 1.3, workers: 0 });
      const s = Object.fromEntries(summarise(runs).map((x) => [x.policy, x]));
      const name = JSON.stringify(axes ?? 'default');
      expect(s['weft']!.alloc_at_100, `${name} at 100%`).toBeGreaterThanOrEqual(s['fgd']!.alloc_at_100 - 0.05);
      expect(s['weft']!.alloc_at_130, `${name} at 130%`).toBeGreaterThanOrEqual(s['fgd']!.alloc_at_130 - 0.05);
    }
  }, 600_000); // ≈ 40 s alone; room for a loaded machine
});
