// Workload variants (`weft sim synth`): a pod list resampled from its own tasks along the axes
// the published Alibaba variants span, so a policy can be tried on mixes no trace ships.
//
// The pod list is split into four pools: CPU-only tasks, GPU-sharing tasks (one GPU, < 1000
// milli), single whole-GPU tasks and multi-GPU tasks. Each axis fixes one quantity the way the
// trace authors defined it for their variants:
//   cpuOnly          CPU-only tasks as a fraction of all tasks (by count; cpu200 = 0.20);
//   gpuSharing       GPU-sharing tasks' share of the total GPU request (milli; gpushare40 = 0.40);
//   multiGpu         multi-GPU tasks' share of the total GPU request (multigpu20 = 0.20);
//   modelConstrained fraction of GPU tasks that accept only named GPU models (gpu_spec).
// An axis left out keeps the source's value; when one of the two request shares is given, the
// other pools keep their ratio to each other. The number of GPU tasks stays the source's, so the
// GPU request changes as the mix does (the fill experiment tunes arrivals to its target anyway).
// A pool that must shrink keeps a random subset of its own rows; one that must grow keeps all of
// them and adds copies drawn with replacement (`<name>-synth-<k>`). A model constraint names one
// GPU model among those whose nodes could host the task (enough GPUs, CPU and memory on one node),
// drawn in proportion to their GPUs there (`capacity`) or uniformly over models (`uniform`, which
// stresses the scarce ones). Everything draws from one seeded stream: a seed gives the same rows.
import { ValidationError } from '../model/errors.js';
import { seededRng, type NodeInput, type Rng } from '../scheduler/index.js';
import type { CsvRow } from './csv.js';

export interface SynthAxes {
  cpuOnly?: number;
  gpuSharing?: number;
  multiGpu?: number;
  modelConstrained?: number;
  /** How a constrained task's model is drawn (default capacity). */
  modelPick?: 'capacity' | 'uniform';
}

/** The mix of a pod list along the four axes (what synth aims at, measured). */
export interface PodMix {
  tasks: number;
  cpuOnly: number;
  gpuSharing: number;
  multiGpu: number;
  modelConstrained: number;
  /** Total GPU request in GPUs. */
  gpuRequest: number;
}

type Pool = 'cpu' | 'share' | 'single' | 'multi';

function poolOf(row: CsvRow): Pool {
  const num = Number(row['num_gpu']);
  const milli = Number(row['gpu_milli']);
  if (!(num > 0) || !(milli > 0)) return 'cpu';
  if (num > 1) return 'multi';
  return milli < 1000 ? 'share' : 'single';
}

const requestOf = (row: CsvRow): number => (poolOf(row) === 'cpu' ? 0 : Number(row['num_gpu']) * Math.min(1000, Number(row['gpu_milli'])));
const specOf = (row: CsvRow): string => (row['gpu_spec'] ?? '').split('|').filter(Boolean).join('|');

export function podMix(rows: readonly CsvRow[]): PodMix {
  const milli: Record<Pool, number> = { cpu: 0, share: 0, single: 0, multi: 0 };
  let cpu = 0;
  let constrained = 0;
  for (const r of rows) {
    const p = poolOf(r);
    milli[p] += requestOf(r);
    if (p === 'cpu') cpu++;
    else if (specOf(r) !== '') constrained++;
  }
  const gpuMilli = milli.share + milli.single + milli.multi;
  const gpuTasks = rows.length - cpu;
  const r4 = (x: number) => Math.round(x * 10000) / 10000;
  return {
    tasks: rows.length,
    cpuOnly: r4(rows.length > 0 ? cpu / rows.length : 0),
    gpuSharing: r4(gpuMilli > 0 ? milli.share / gpuMilli : 0),
    multiGpu: r4(gpuMilli > 0 ? milli.multi / gpuMilli : 0),
    modelConstrained: r4(gpuTasks > 0 ? constrained / gpuTasks : 0),
    gpuRequest: r4(gpuMilli / 1000),
  };
}

function checkShare(field: string, v: number | undefined, max: number): void {
  if (v !== undefined && !(v >= 0 && v <= max)) throw ValidationError.field(field, `must be a fraction in [0, ${max}], got ${v}`);
}

/** Splits `total` into integer counts proportional to `weights` (largest remainder, ties to the first). */
function apportion(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  if (sum <= 0) return weights.map(() => 0);
  const exact = weights.map((w) => (total * w) / sum);
  const out = exact.map(Math.floor);
  let left = total - out.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => ({ f: x - Math.floor(x), i })).sort((a, b) => b.f - a.f || a.i - b.i);
  for (const { i } of order) {
    if (left-- <= 0) break;
    out[i]!++;
  }
  return out;
}

/** `n` rows of `pool`: a random subset when it shrinks, all of it plus copies drawn with replacement when it grows. */
function resample(pool: readonly CsvRow[], n: number, rng: Rng, copies: { k: number }): CsvRow[] {
  if (n <= pool.length) {
    const idx = pool.map((_, i) => i);
    for (let i = 0; i < n; i++) {
      const j = i + rng.int(idx.length - i);
      [idx[i], idx[j]] = [idx[j]!, idx[i]!];
    }
    return idx.slice(0, n).sort((a, b) => a - b).map((i) => pool[i]!);
  }
  const out = [...pool];
  while (out.length < n) {
    const u = pool[rng.int(pool.length)]!;
    out.push({ ...u, name: `${u['name']}-synth-${copies.k++}` });
  }
  return out;
}

/** Request shares (share, single, multi) of the GPU request after the axes are applied. */
function targetShares(axes: SynthAxes, have: Record<Pool, number>): [number, number, number] {
  const total = have.share + have.single + have.multi;
  let share = have.share / total;
  let multi = have.multi / total;
  const single = have.single / total;
  if (axes.gpuSharing !== undefined && axes.multiGpu !== undefined) {
    share = axes.gpuSharing;
    multi = axes.multiGpu;
  } else if (axes.gpuSharing !== undefined) {
    const rest = single + multi;
    share = axes.gpuSharing;
    multi = rest > 0 ? ((1 - share) * multi) / rest : 0;
  } else if (axes.multiGpu !== undefined) {
    const rest = share + single;
    multi = axes.multiGpu;
    share = rest > 0 ? ((1 - multi) * share) / rest : 0;
  }
  if (share + multi > 1 + 1e-9) throw ValidationError.field('multiGpu', `with gpuSharing ${share}, multiGpu ${multi} leaves less than nothing of the GPU request`);
  return [share, Math.max(0, 1 - share - multi), multi];
}

export function synthesizePods(rows: readonly CsvRow[], nodes: readonly NodeInput[] | undefined, axes: SynthAxes, seed: number): CsvRow[] {
  checkShare('cpuOnly', axes.cpuOnly, 0.95);
  checkShare('gpuSharing', axes.gpuSharing, 1);
  checkShare('multiGpu', axes.multiGpu, 1);
  checkShare('modelConstrained', axes.modelConstrained, 1);
  const rng = seededRng(seed);
  const pools: Record<Pool, CsvRow[]> = { cpu: [], share: [], single: [], multi: [] };
  const milli: Record<Pool, number> = { cpu: 0, share: 0, single: 0, multi: 0 };
  for (const r of rows) {
    const p = poolOf(r);
    pools[p].push(r);
    milli[p] += requestOf(r);
  }
  const gpuTasks = pools.share.length + pools.single.length + pools.multi.length;
  if (gpuTasks === 0) throw ValidationError.field('pods', 'the pod list has no GPU tasks to resample');
  const shares = targetShares(axes, milli);
  const gpuPools = ['share', 'single', 'multi'] as const;
  gpuPools.forEach((p, i) => {
    if (shares[i]! > 0 && pools[p].length === 0) {
      throw ValidationError.field(p === 'multi' ? 'multiGpu' : p === 'share' ? 'gpuSharing' : 'pods', `the pod list has no ${p === 'multi' ? 'multi-GPU' : p === 'share' ? 'GPU-sharing' : 'single whole-GPU'} tasks to resample`);
    }
  });
  // Counts proportional to request share ÷ mean request per task, keeping the GPU task count.
  const counts = apportion(
    gpuTasks,
    gpuPools.map((p, i) => (pools[p].length > 0 ? shares[i]! / (milli[p] / pools[p].length) : 0)),
  );
  const copies = { k: 0 };
  const gpu = gpuPools.flatMap((p, i) => resample(pools[p], counts[i]!, rng, copies));
  const cpuCount = axes.cpuOnly === undefined ? pools.cpu.length : Math.round((axes.cpuOnly / (1 - axes.cpuOnly)) * gpu.length);
  if (cpuCount > 0 && pools.cpu.length === 0) throw ValidationError.field('cpuOnly', 'the pod list has no CPU-only tasks to resample');
  const cpu = resample(pools.cpu, cpuCount, rng, copies);
  const constrainedGpu = axes.modelConstrained === undefined ? gpu : constrain(gpu, nodes, axes, rng);
  // Source order for kept rows, copies after them: name order is what the fill experiment shuffles.
  const order = new Map(rows.map((r, i) => [r, i]));
  const at = (r: CsvRow) => order.get(r) ?? Infinity;
  return [...cpu, ...constrainedGpu].sort((a, b) => at(a) - at(b) || (a['name']! < b['name']! ? -1 : a['name']! > b['name']! ? 1 : 0));
}

/** Gives round(share × GPU tasks) of them a gpu_spec (keeping source constraints first), clears the rest. */
function constrain(gpu: CsvRow[], nodes: readonly NodeInput[] | undefined, axes: SynthAxes, rng: Rng): CsvRow[] {
  const want = Math.round(axes.modelConstrained! * gpu.length);
  const already = gpu.map((r, i) => i).filter((i) => specOf(gpu[i]!) !== '');
  const free = gpu.map((r, i) => i).filter((i) => specOf(gpu[i]!) === '');
  const pick = (list: number[], n: number): number[] => {
    for (let i = 0; i < n; i++) {
      const j = i + rng.int(list.length - i);
      [list[i], list[j]] = [list[j]!, list[i]!];
    }
    return list.slice(0, n);
  };
  const chosen = new Set(want <= already.length ? pick(already, want) : [...already, ...pick(free, want - already.length)]);
  if (chosen.size > already.length && (!nodes || nodes.length === 0)) {
    throw ValidationError.field('nodes', 'the modelConstrained axis needs the fleet to know which GPU models can host each task');
  }
  return gpu.map((row, i) => {
    const had = specOf(row) !== '';
    if (!chosen.has(i)) return had ? { ...row, gpu_spec: '' } : row;
    if (had) return row;
    return { ...row, gpu_spec: drawModel(row, nodes!, axes.modelPick ?? 'capacity', rng) };
  });
}

/** A GPU model whose nodes could host the task, by GPUs on such nodes or uniformly over models. */
function drawModel(row: CsvRow, nodes: readonly NodeInput[], how: 'capacity' | 'uniform', rng: Rng): string {
  const num = Number(row['num_gpu']);
  const cpu = Number(row['cpu_milli']);
  const mem = Number(row['memory_mib']) * 1024 * 1024;
  const weight = new Map<string, number>();
  for (const n of nodes) {
    if (!n.gpuModel || n.gpus < num || n.cpuMilli < cpu || n.memoryBytes < mem) continue;
    weight.set(n.gpuModel, (weight.get(n.gpuModel) ?? 0) + (how === 'capacity' ? n.gpus : 0) + (how === 'uniform' ? 1 : 0));
  }
  const models = [...weight.keys()].sort();
  if (models.length === 0) throw ValidationError.field('nodes', `no node can host task ${row['name']} (${num} GPUs, ${cpu} mCPU)`);
  const w = models.map((m) => (how === 'uniform' ? 1 : weight.get(m)!));
  let x = rng.nextFloat() * w.reduce((a, b) => a + b, 0);
  for (let i = 0; i < models.length; i++) {
    x -= w[i]!;
    if (x < 0) return models[i]!;
  }
  return models[models.length - 1]!;
}
