// Time mode under load (issue #21): each shared Alibaba trace with timestamps replayed through
// `weft sim replay --load` at several offered GPU loads, for weft, fgd and best-fit, over several
// seeds of the Poisson arrival stream: mean GPU allocation while gangs arrive, queueing delay (mean,
// p99) and JCT (mean, p99). Each cell reports the mean over its seeds of each statistic, and on how
// many seeds weft was behind fgd on it: one seed's p99 moves by seconds with the stream. Each run is
// its own `weft sim replay` process (two at a time, niced). Run with `npm run bench:replay-load`
// (builds first); needs the trace folder beside the repository. Not part of `npm test`.
//
//   node bench/replay-load.mjs [--traces default,cpu050] [--loads 0.8,1,1.2] [--policies weft,fgd,best-fit]
//        [--seeds 1-3] [--seeds-for 0.8=1] [--arrivals 40000] [--max-run 30m] [--parallel 2] [--nice 10]
//        [--json runs.json] [--resume] [--with more.json,…] [--report]
//
// By default seeds 1-3, and seed 1 alone at 80%, where every gang starts in its first cycle under
// every policy. --seeds-for LOAD=SEEDS (several joined by ';', '' for none) gives a load its own
// seeds; --json keeps every finished run in a file as it goes, --resume reads it back and skips
// those runs; --with adds runs kept in other files (read only); --report runs nothing and prints
// the table of what is kept. A policy short of seeds in a cell is averaged over those it has, and
// compared with weft over the seeds both have.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, getPriority, loadavg, setPriority, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]?.startsWith('--') ? 'true' : (all[i + 1] ?? 'true')]] : acc), []),
);
const here = dirname(fileURLToPath(import.meta.url));
const T = resolve(here, '../../shared/traces/alibaba-gpu-2023');
const bin = resolve(here, '../bin/weft.js');
if (!existsSync(resolve(T, 'openb_node_list_gpu_node.csv'))) {
  console.error(`skipped: ${T} not found (the trace folder sits beside the repository)`);
  process.exit(0);
}

/** "1-3,7" → [1, 2, 3, 7] */
function parseSeeds(spec) {
  return spec.split(',').flatMap((part) => {
    const [a, b] = part.split('-').map(Number);
    if (!Number.isInteger(a) || (b !== undefined && !(Number.isInteger(b) && b >= a))) throw new Error(`--seeds: bad range "${part}"`);
    return Array.from({ length: (b ?? a) - a + 1 }, (_, i) => a + i);
  });
}

// The multigpu files carry no timestamps: every other shared trace.
const traces = (args.traces ?? 'default,gpushare20,gpushare40,gpushare60,gpushare80,gpushare100,cpu050,cpu100,cpu200').split(',');
const loads = (args.loads ?? '0.8,1,1.2').split(',');
const policies = (args.policies ?? 'weft,fgd,best-fit').split(',');
const seeds = parseSeeds(args.seeds ?? '1-3');
const seedsFor = new Map((args['seeds-for'] ?? '0.8=1').split(';').filter(Boolean).map((kv) => kv.split('=')).map(([l, s]) => [l, parseSeeds(s)]));
const seedsAt = (load) => seedsFor.get(load) ?? seeds;
const arrivals = args.arrivals ?? '40000';
const maxRun = args['max-run'] ?? '30m';
const parallel = Number(args.parallel ?? 2);
// Children inherit the niceness: the replays yield to other work on a shared machine.
setPriority(Math.max(Number(args.nice ?? 10), getPriority()));

/** Waits (s) of the gangs that ask two or more whole GPUs: the ones a fragmented fleet keeps waiting. */
function multiGpuWaits(csv) {
  const [head, ...rows] = csv.trim().split('\n');
  const cols = head.split(',');
  const gpus = cols.indexOf('gpus');
  const wait = cols.indexOf('wait_s');
  return rows.map((r) => r.split(',')).filter((c) => Number(c[gpus]) >= 2 && c[wait] !== '').map((c) => Number(c[wait]));
}

const key = (j) => `${j.trace}|${j.load}|${j.seed}|${j.policy}`;
const readRuns = (file) => Object.entries(JSON.parse(readFileSync(file, 'utf8')));
const out = new Map(args.resume && args.json && existsSync(args.json) ? readRuns(args.json) : []);
// Runs kept by other invocations (e.g. other policies run at another time) count as done too.
const others = new Map((args.with ?? '').split(',').filter(Boolean).flatMap(readRuns));
// Seed by seed, so that a run cut short still leaves whole seeds.
const allSeeds = [...new Set(loads.flatMap(seedsAt))].sort((a, b) => a - b);
const jobs = allSeeds.flatMap((seed) =>
  traces.flatMap((trace) => loads.filter((load) => seedsAt(load).includes(seed)).flatMap((load) => policies.map((policy) => ({ trace, load, seed, policy })))),
);
// --report runs nothing: the table of what the files hold.
const todo = args.report ? [] : jobs.filter((j) => !out.has(key(j)) && !others.has(key(j)));
const scratch = mkdtempSync(join(tmpdir(), 'weft-replay-load-'));
let next = 0;
let done = 0;
const started = Date.now();
const loadAtStart = loadavg();
await Promise.all(
  Array.from({ length: parallel }, async () => {
    while (next < todo.length) {
      const j = todo[next++];
      const dir = join(scratch, `${j.trace}-${j.load}-${j.seed}-${j.policy}`);
      await run(process.execPath, [
        bin, 'sim', 'replay', '--pods', resolve(T, `openb_pod_list_${j.trace}.csv`), '--nodes', resolve(T, 'openb_node_list_gpu_node.csv'),
        '--policy', j.policy, '--load', j.load, '--load-by', 'poisson', '--arrivals', arrivals, '--max-run', maxRun, '--seed', String(j.seed), '--out', dir,
      ], { maxBuffer: 1 << 26 });
      const s = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
      const multi = multiGpuWaits(readFileSync(join(dir, 'gangs.csv'), 'utf8'));
      rmSync(dir, { recursive: true, force: true });
      out.set(key(j), {
        alloc: s.arrivalWindow.utilisationPct, waitMean: s.overall.waitSeconds.mean, waitP99: s.overall.waitSeconds.p99,
        jctMean: s.overall.jctSeconds.mean, jctP99: s.overall.jctSeconds.p99, completed: s.overall.completed, submitted: s.overall.submitted,
        multiWaitMean: multi.reduce((a, b) => a + b, 0) / Math.max(multi.length, 1), multiGangs: multi.length,
      });
      if (args.json) writeFileSync(args.json, JSON.stringify(Object.fromEntries(out), null, 1));
      done++;
      process.stderr.write(`[${done}/${todo.length}] ${j.trace} load ${j.load} seed ${j.seed} ${j.policy} (${((Date.now() - started) / 60000).toFixed(1)} min)\n`);
    }
  }),
);
rmSync(scratch, { recursive: true, force: true });
for (const [k, v] of others) if (!out.has(k)) out.set(k, v);

const stats = [
  { k: 'alloc', short: 'alloc', name: 'mean GPU alloc %', digits: 2, better: 'higher' },
  { k: 'waitMean', short: 'wait mean', name: 'wait mean s', digits: 1, better: 'lower' },
  { k: 'waitP99', short: 'wait p99', name: 'wait p99 s', digits: 1, better: 'lower' },
  { k: 'jctMean', short: 'JCT mean', name: 'JCT mean s', digits: 1, better: 'lower' },
  { k: 'jctP99', short: 'JCT p99', name: 'JCT p99 s', digits: 1, better: 'lower' },
];
// Reported beside the bar, not part of it: how the gangs of two or more GPUs fare.
const extra = { k: 'multiWaitMean', name: '≥ 2-GPU gangs: wait mean s (weft / fgd)', digits: 1 };
const behind = (stat, w, f) => (stat.better === 'higher' ? w < f : w > f);
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

const seedList = loads.map((l) => `${Number(l) * 100}%: ${seedsAt(l).join(',')}`).join('; ');
console.log(`# time mode under load — ${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}, Node ${process.version}; ${arrivals} Poisson arrivals in trace order, run times capped at ${maxRun}; seeds ${seedList}; load average ${loadAtStart.map((x) => x.toFixed(1)).join(' ')} at the start\n`);
console.log(`Each statistic is the mean over the cell's seeds, ${policies.join(' / ')}; "weft behind" counts the seeds where weft was worse than fgd on that statistic (alloc / wait mean / wait p99 / JCT mean / JCT p99).\n`);
console.log(`| trace | load | seeds | ${[...stats, extra].map((s) => s.name).join(' | ')} | weft behind fgd (seeds) | weft ≥ fgd on every mean |\n|---|---|---|${[...stats, extra].map(() => '---|').join('')}---|---|`);
const misses = [];
let seedMisses = 0;
for (const trace of traces) {
  for (const load of loads) {
    // Each policy's mean is over the seeds it has; the comparison is over the seeds both have.
    const has = (policy) => seedsAt(load).filter((seed) => out.has(key({ trace, load, seed, policy })));
    if (policies.some((p) => !has(p).length)) continue;
    const of = (policy, k) => has(policy).map((seed) => out.get(key({ trace, load, seed, policy }))[k]);
    const cells = stats.map((s) => policies.map((p) => mean(of(p, s.k)).toFixed(s.digits)).join(' / '));
    // weft / fgd only; runs kept from before this column was recorded lack it, so it averages the
    // seeds where both have it, and says how many when that is fewer than the cell's.
    const pair = policies.filter((p) => p === 'weft' || p === 'fgd');
    const withExtra = seedsAt(load).filter((seed) => pair.length && pair.every((policy) => out.get(key({ trace, load, seed, policy }))?.[extra.k] !== undefined));
    const extraOf = (policy) => mean(withExtra.map((seed) => out.get(key({ trace, load, seed, policy }))[extra.k])).toFixed(extra.digits);
    const noneThere = withExtra.every((seed) => out.get(key({ trace, load, seed, policy: pair[0] })).multiGangs === 0);
    cells.push(noneThere && withExtra.length ? 'none asked' : withExtra.length ? pair.map(extraOf).join(' / ') + (withExtra.length < has(pair[0]).length ? ` (${withExtra.length} seed${withExtra.length === 1 ? '' : 's'})` : '') : '–');
    const counts = policies.map(has).map((ss) => ss.length);
    const seedsCell = counts.every((n) => n === counts[0]) ? `${counts[0]}` : counts.join(' / ');
    let behindCell = '';
    if (policies.includes('weft') && policies.includes('fgd')) {
      const both = has('weft').filter((seed) => has('fgd').includes(seed));
      const run = (policy, seed) => out.get(key({ trace, load, seed, policy }));
      const n = stats.map((s) => both.filter((seed) => behind(s, run('weft', seed)[s.k], run('fgd', seed)[s.k])).length);
      seedMisses += n.reduce((a, b) => a + b, 0);
      const short = [];
      for (const s of stats) {
        const w = mean(both.map((seed) => run('weft', seed)[s.k]));
        const f = mean(both.map((seed) => run('fgd', seed)[s.k]));
        if (!behind(s, w, f)) continue;
        short.push(s.short);
        misses.push(`${trace} ${Number(load) * 100}% ${s.name} ${w.toFixed(s.digits + 1)} vs ${f.toFixed(s.digits + 1)}`);
      }
      behindCell = `${n.join(' / ')} of ${both.length} | ${short.length ? `no: ${short.join(', ')}` : 'yes'}`;
    }
    console.log(`| ${trace} | ${Number(load) * 100}% | ${seedsCell} | ${cells.join(' | ')} | ${behindCell} |`);
  }
}
console.log(`\nweft behind fgd on the mean over seeds: ${misses.length ? misses.join('; ') : 'nothing'}`);
console.log(`weft behind fgd on single seeds: ${seedMisses} (cell, seed, statistic) triples`);
console.log(`${done} runs in ${((Date.now() - started) / 60000).toFixed(1)} min; load average at the end ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
