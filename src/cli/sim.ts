// `weft sim …`: the digital twin from the command line. `weft sim fill` runs the FGD paper's
// fill experiment (allocation as arrivals reach `tune` × capacity) for policies × seeds;
// `weft sim mig` compares MIG placement rules on a seeded mix of MIG requests; `weft sim replay`
// (sim-replay.ts) runs arrivals and departures in virtual time; `weft sim synth` writes a variant
// of a pod list along the axes the published workloads span (sim/synth.ts).
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { isPolicyName, POLICY_NAMES } from '../scheduler/index.js';
import { loadNodes, loadPods, runGrid, summarise, writeFillReport, type Expected } from '../sim/index.js';
import { parseCsv, toCsv } from '../sim/csv.js';
import { podMix, synthesizePods, type SynthAxes } from '../sim/synth.js';
import { gpuModelInfo } from '../model/gpu-catalog.js';
import { CliError, EXIT } from './errors.js';
import { runMigMix } from '../sim/mig-mix.js';
import { replayCommand } from './sim-replay.js';

/** "42-51" → 42..51; "1,5,9" → [1,5,9]; "7" → [7]. */
export function parseSeeds(text: string): number[] {
  const out: number[] = [];
  for (const part of text.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!m) throw new InvalidArgumentError(`"${part}" is not a seed or a range like 42-51`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a || b - a > 10_000) throw new InvalidArgumentError(`bad seed range "${part}"`);
    for (let s = a; s <= b; s++) out.push(s);
  }
  return out;
}

function parsePolicies(text: string): string[] {
  const list = text.split(',').map((s) => s.trim()).filter(Boolean);
  for (const p of list) {
    if (!isPolicyName(p)) throw new InvalidArgumentError(`unknown policy "${p}" (known: ${POLICY_NAMES.join(', ')})`);
  }
  if (list.length === 0) throw new InvalidArgumentError('no policy given');
  return list;
}

function parseTune(text: string): number {
  const v = Number(text);
  if (!(v > 0 && v <= 10)) throw new InvalidArgumentError('tune must be a number in (0, 10]');
  return v;
}

/** The FGD paper's policy ids as they appear in expected_alloc_summary.csv. */
const PAPER_NAMES: Record<string, string> = {
  Random: 'random',
  DotProd: 'dot-product',
  GpuClustering: 'gpu-clustering',
  GpuPacking: 'gpu-packing',
  BestFit: 'best-fit',
  FGD: 'fgd',
};

/** Expected means for this workload from an expected_alloc_summary.csv, keyed by our policy names. */
export function readExpected(path: string, podsFile: string): Record<string, Expected> {
  const workload = basename(podsFile).replace(/\.[^.]+$/, '');
  const out: Record<string, Expected> = {};
  for (const row of parseCsv(readFileSync(path, 'utf8'))) {
    if (row['workload'] !== workload) continue;
    const ours = PAPER_NAMES[row['policy'] ?? ''];
    if (ours) out[ours] = { alloc_at_100: Number(row['alloc_at_100_mean']), alloc_at_130: Number(row['alloc_at_130_mean']) };
  }
  return out;
}

function fillCommand(): Command {
  return new Command('fill')
    .description('fill experiment: allocation ratio as arrived GPU request grows to --tune × capacity')
    .requiredOption('--nodes <file>', 'fleet: Alibaba node CSV or Weft fleet YAML')
    .requiredOption('--pods <file>', 'workload: Alibaba pod CSV or Weft workload YAML')
    .option('--policy <list>', `comma-separated policies (${POLICY_NAMES.join(', ')})`, parsePolicies, ['fgd', 'weft'])
    .option('--seeds <list>', 'seeds, e.g. 42-51 or 1,2,3', parseSeeds, parseSeeds('42-51'))
    .option('--tune <ratio>', 'arrived GPU request at the end, as a multiple of capacity', parseTune, 1.3)
    .option('--out <dir>', 'output directory', 'sim-out')
    .option('--workers <n>', 'worker threads (default: one per CPU)', (v) => Number(v))
    .option('--expected <csv>', 'expected_alloc_summary.csv to compare against')
    .action(async (o: { nodes: string; pods: string; policy: string[]; seeds: number[]; tune: number; out: string; workers?: number; expected?: string }) => {
      const workload = { nodes: loadNodes(o.nodes), pods: loadPods(o.pods) };
      const started = Date.now(); // progress display only; results never depend on it
      const total = o.policy.length * o.seeds.length;
      process.stderr.write(`weft sim fill: ${workload.nodes.length} nodes, ${workload.pods.length} pods, ${total} runs\n`);
      const runs = await runGrid({
        workload,
        policies: o.policy,
        seeds: o.seeds,
        tune: o.tune,
        workers: o.workers,
        onProgress: (done, all, r) => {
          const secs = ((Date.now() - started) / 1000).toFixed(1);
          process.stderr.write(`[${done}/${all}] ${r.policy} seed ${r.seed}: alloc@100 ${r.columns[100]}% alloc@130 ${r.columns[130]}% (${secs}s)\n`);
        },
      });
      const order = new Map(o.policy.map((p, i) => [p, i]));
      const summaries = summarise(runs).sort((a, b) => order.get(a.policy)! - order.get(b.policy)!);
      const expected = o.expected ? readExpected(o.expected, o.pods) : undefined;
      const title = `${basename(o.pods)} on ${basename(o.nodes)} (tune ${o.tune}, seeds ${o.seeds[0]}–${o.seeds[o.seeds.length - 1]})`;
      const files = writeFillReport(o.out, { title, nodesFile: o.nodes, podsFile: o.pods, tune: o.tune, summaries, runs, expected });
      for (const s of summaries) {
        process.stdout.write(`${s.policy.padEnd(15)} alloc@100 ${s.alloc_at_100.toFixed(2)}%  alloc@130 ${s.alloc_at_130.toFixed(2)}%\n`);
      }
      process.stderr.write(`wrote ${files.length} files to ${o.out}\n`);
    });
}

function migCommand(): Command {
  return new Command('mig')
    .description('MIG placement: requests admitted before the first rejection, keep-most-profiles vs first-fit')
    .option('--seeds <list>', 'seeds, e.g. 1-20 or 1,2,3', parseSeeds, parseSeeds('1-20'))
    .option('--model <name>', 'GPU model of the fleet (a MIG model from the catalog)', 'H100-80GB')
    .option('--nodes <n>', 'nodes', (v) => Number(v), 4)
    .option('--gpus <n>', 'MIG GPUs per node', (v) => Number(v), 8)
    .option('--load <ratio>', 'offered load: mean share of memory slices held by live instances', (v) => Number(v), 0.7)
    .option('--no-departures', 'instances never leave (a pure fill)')
    .action((o: { seeds: number[]; model: string; nodes: number; gpus: number; load: number; departures: boolean }) => {
      // Thrown inside the action, a CliError is what the CLI prints as a one-line usage error.
      if (!(o.load > 0 && o.load <= 2)) throw new CliError('--load must be a number in (0, 2]', EXIT.usage);
      if (!(Number.isInteger(o.nodes) && o.nodes >= 1 && Number.isInteger(o.gpus) && o.gpus >= 1 && o.gpus <= 64)) {
        throw new CliError('--nodes must be a positive integer and --gpus an integer in 1..64', EXIT.usage);
      }
      if (!gpuModelInfo(o.model)?.migProfiles.length) throw new CliError(`${o.model} is not a MIG-capable model in the GPU catalog`, EXIT.usage);
      const r = runMigMix({ seeds: o.seeds, model: o.model, nodes: o.nodes, gpusPerNode: o.gpus, load: o.load, departures: o.departures });
      process.stdout.write('seed  keep-most  first-fit\n');
      for (const x of r.runs) process.stdout.write(`${String(x.seed).padEnd(6)}${String(x.keepMost).padStart(9)}  ${String(x.firstFit).padStart(9)}\n`);
      process.stdout.write(`mean  ${r.meanKeepMost.toFixed(1).padStart(9)}  ${r.meanFirstFit.toFixed(1).padStart(9)}\n`);
    });
}

function fraction(flag: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (v.trim() === '' || !(n >= 0 && n <= 1)) throw new InvalidArgumentError(`${flag} must be a fraction between 0 and 1`);
    return n;
  };
}

function synthCommand(): Command {
  return new Command('synth')
    .description('a variant of an Alibaba pod list, resampled from its own tasks along the mix axes (deterministic for a seed)')
    .requiredOption('--pods <csv>', 'source: Alibaba pod CSV')
    .option('--nodes <csv>', 'fleet (Alibaba node CSV): needed for --model-constrained, to know which models can host a task')
    .option('--cpu-only <f>', 'CPU-only tasks as a fraction of all tasks (the source has 0.133)', fraction('--cpu-only'))
    .option('--gpu-sharing <f>', "GPU-sharing tasks' share of the total GPU request", fraction('--gpu-sharing'))
    .option('--multi-gpu <f>', "multi-GPU tasks' share of the total GPU request", fraction('--multi-gpu'))
    .option('--model-constrained <f>', 'fraction of GPU tasks that accept only one named GPU model', fraction('--model-constrained'))
    .option('--model-pick <how>', 'how a constrained task\'s model is drawn: capacity (by GPUs that could host it) or uniform', 'capacity')
    .option('--seed <n>', 'seed', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('--seed must be a non-negative integer');
      return n;
    }, 1)
    .requiredOption('--out <csv>', 'where to write the variant')
    .action((o: { pods: string; nodes?: string; cpuOnly?: number; gpuSharing?: number; multiGpu?: number; modelConstrained?: number; modelPick: string; seed: number; out: string }) => {
      if (o.modelPick !== 'capacity' && o.modelPick !== 'uniform') throw new CliError('--model-pick must be capacity or uniform', EXIT.usage);
      if (o.modelConstrained && !o.nodes) throw new CliError('--model-constrained needs --nodes: the fleet says which GPU models can host each task', EXIT.usage);
      const text = readFileSync(o.pods, 'utf8');
      const rows = parseCsv(text);
      const axes: SynthAxes = { modelPick: o.modelPick };
      if (o.cpuOnly !== undefined) axes.cpuOnly = o.cpuOnly;
      if (o.gpuSharing !== undefined) axes.gpuSharing = o.gpuSharing;
      if (o.multiGpu !== undefined) axes.multiGpu = o.multiGpu;
      if (o.modelConstrained !== undefined) axes.modelConstrained = o.modelConstrained;
      let out;
      try {
        out = synthesizePods(rows, o.nodes ? loadNodes(o.nodes) : undefined, axes, o.seed);
      } catch (e) {
        throw new CliError((e as Error).message, EXIT.usage);
      }
      const header = text.slice(0, text.search(/\r?\n/)).split(',');
      if (!header.includes('gpu_spec') && out.some((r) => (r['gpu_spec'] ?? '') !== '')) header.push('gpu_spec');
      writeFileSync(o.out, toCsv(header, out.map((r) => header.map((h) => r[h] ?? ''))));
      const fmt = (m: ReturnType<typeof podMix>) =>
        `${m.tasks} tasks, CPU-only ${m.cpuOnly}, GPU-sharing ${m.gpuSharing} and multi-GPU ${m.multiGpu} of the GPU request, model-constrained ${m.modelConstrained} of GPU tasks, ${m.gpuRequest} GPUs asked`;
      process.stderr.write(`source:  ${fmt(podMix(rows))}\nvariant: ${fmt(podMix(out))}\nwrote ${o.out}\n`);
    });
}

export function simCommand(): Command {
  return new Command('sim')
    .description('simulate the scheduler on a fleet and workload (digital twin)')
    .addCommand(fillCommand())
    .addCommand(migCommand())
    .addCommand(replayCommand())
    .addCommand(synthCommand());
}
