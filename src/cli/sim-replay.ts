// `weft sim replay`: arrivals and departures on a virtual clock (a Weft replay YAML, the
// Alibaba pod CSV's creation/deletion times, or a Slurm accounting export from sacct) through
// the real scheduler; writes utilisation over time, queueing delay and JCT percentiles per queue,
// preemptions and fairness as CSV, JSON, SVG and Markdown.
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { isPolicyName, POLICY_NAMES, type NodeInput } from '../scheduler/index.js';
import { fleetGpuMilli, loadNodes } from '../sim/index.js';
import { extendArrivals, parseAlibabaTimedPods, parseDurationMs, parseReplayYaml, parseSacct, reservationCost, runReplay, scaleToLoad, withoutReservations, writeReplayReport, type LoadBy, type ReplayInput, type ReplayOptions, type ReplayQueue } from '../sim/replay/index.js';
import { CliError, EXIT } from './errors.js';

interface ReplayFlags {
  workload?: string;
  pods?: string;
  sacct?: string;
  fleet?: string;
  nodes?: string;
  policy?: string;
  seed?: number;
  until?: number;
  cycle?: number;
  grace?: number;
  limit?: number;
  qosPriority?: Record<string, number>;
  preemptibleQos?: string[];
  preemption: boolean;
  fairShare: boolean;
  backfill: boolean;
  buckets: number;
  load?: number;
  loadBy: string;
  maxRun?: number;
  declareMaxRun?: boolean;
  arrivals?: number;
  reservations?: string;
  out: string;
}

function duration(flag: string): (v: string) => number {
  return (v) => {
    try {
      return parseDurationMs(v, flag);
    } catch (e) {
      throw new InvalidArgumentError((e as Error).message);
    }
  };
}

function positiveInt(flag: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${flag} must be a positive integer`);
    return n;
  };
}

/** "LS=10,Guaranteed=10" → {LS: 10, Guaranteed: 10}. */
function qosPriorities(v: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of v.split(',')) {
    const m = /^\s*([A-Za-z]+)\s*=\s*(-?\d+)\s*$/.exec(part);
    if (!m) throw new InvalidArgumentError(`"${part}" is not CLASS=PRIORITY (e.g. LS=10)`);
    out[m[1]!] = Number(m[2]);
  }
  return out;
}

/** Reads and parses a file, turning any failure into one message naming the file. */
function readParsed<T>(path: string, flag: string, parse: (text: string) => T): T {
  if (!existsSync(path)) throw new CliError(`${flag} ${path}: no such file`, EXIT.usage);
  try {
    return parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new CliError(`${flag} ${path}: ${(e as Error).message}`, EXIT.usage);
  }
}

interface Assembled {
  input: ReplayInput;
  defaults: ReturnType<typeof parseReplayYaml>['defaults'];
  sources: Record<string, string>;
  /** False when the queues only label accounting (the trace's QoS classes have no quotas). */
  fairShare: boolean;
}

function assemble(o: ReplayFlags): Assembled {
  if ([o.workload, o.pods, o.sacct].filter((f) => f !== undefined).length !== 1) {
    throw new CliError('give exactly one of --workload (Weft replay YAML), --pods (Alibaba pod CSV) or --sacct (sacct --parsable2 export)', EXIT.usage);
  }
  if (o.fleet && o.nodes) throw new CliError('give at most one of --fleet and --nodes', EXIT.usage);
  const sources: Record<string, string> = {};
  let nodes: NodeInput[] | undefined;
  const fleetFile = o.fleet ?? o.nodes;
  if (fleetFile) {
    const flag = o.fleet ? '--fleet' : '--nodes';
    if (!existsSync(fleetFile)) throw new CliError(`${flag} ${fleetFile}: no such file`, EXIT.usage);
    try {
      nodes = loadNodes(fleetFile);
    } catch (e) {
      throw new CliError(`${flag} ${fleetFile}: ${(e as Error).message}`, EXIT.usage);
    }
    sources['fleet'] = basename(fleetFile);
  }
  if (o.workload) {
    const s = readParsed(o.workload, '--workload', parseReplayYaml);
    sources['workload'] = basename(o.workload);
    nodes ??= s.nodes;
    if (!nodes) throw new CliError(`--workload ${o.workload}: the file has no nodes; pass --fleet or --nodes`, EXIT.usage);
    return { input: { nodes, gangs: s.gangs, queues: s.queues, reservations: s.reservations }, defaults: s.defaults, sources, fairShare: true };
  }
  if (o.sacct) {
    if (!nodes) throw new CliError('--sacct needs a fleet: pass --fleet (Weft fleet YAML) or --nodes', EXIT.usage);
    const { gangs, neverStarted } = readParsed(o.sacct, '--sacct', parseSacct);
    sources['sacct'] = basename(o.sacct);
    if (neverStarted > 0) process.stderr.write(`--sacct: ${neverStarted} jobs never started in Slurm (cancelled while pending); left out\n`);
    const limited = o.limit === undefined ? gangs : gangs.slice(0, o.limit);
    // Accounts declare no quotas here: each is entitled to an equal share.
    const queues: ReplayQueue[] = [...new Set(limited.map((g) => g.queue))].sort().map((name) => ({ name, nominalGpus: 1 }));
    return { input: { nodes, gangs: limited, queues }, defaults: {}, sources, fairShare: false };
  }
  if (!nodes) throw new CliError('--pods needs a fleet: pass --nodes (Alibaba node CSV) or --fleet', EXIT.usage);
  const gangs = readParsed(o.pods!, '--pods', (t) => parseAlibabaTimedPods(t, { limit: o.limit, priorityByQos: o.qosPriority, ...(o.preemptibleQos ? { preemptibleQos: o.preemptibleQos } : {}) }));
  sources['pods'] = basename(o.pods!);
  // The trace declares no quotas: every QoS class seen is entitled to an equal share.
  const classes = [...new Set(gangs.map((g) => g.queue))].sort();
  const queues: ReplayQueue[] = classes.map((name) => ({ name, nominalGpus: 1 }));
  return { input: { nodes, gangs, queues }, defaults: {}, sources, fairShare: false };
}

export function replayCommand(): Command {
  return new Command('replay')
    .description('replay arrivals and departures in virtual time; report utilisation, waits, JCT, preemptions and fairness per queue')
    .option('--workload <yaml>', 'Weft replay scenario (see examples/sim/)')
    .option('--pods <csv>', 'Alibaba pod CSV with creation_time/deletion_time/scheduled_time')
    .option('--sacct <file>', 'Slurm accounting export: sacct --parsable2 with JobID, Account, Submit, Start, End, NNodes, AllocTRES … (docs/slurm.md)')
    .option('--fleet <file>', 'fleet: Weft fleet YAML or Alibaba node CSV (default: the scenario\'s nodes)')
    .option('--nodes <csv>', 'fleet: Alibaba node CSV')
    .option('--policy <name>', `placement policy (${POLICY_NAMES.join(', ')}); default the scenario's, else weft`)
    .option('--seed <n>', 'random seed', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('--seed must be a non-negative integer');
      return n;
    })
    .option('--until <duration>', 'stop at this virtual time (e.g. 6h)', duration('--until'))
    .option('--cycle <duration>', 'scheduling cycle period (default 10s; 0 = at every event)', duration('--cycle'))
    .option('--grace <duration>', 'preemption grace period (default 30s)', duration('--grace'))
    .option('--limit <n>', 'with --pods or --sacct: only the first N by submission time', positiveInt('--limit'))
    .option('--qos-priority <list>', 'with --pods: priority per QoS class, e.g. LS=10,Guaranteed=10', qosPriorities)
    .option('--preemptible-qos <list>', 'with --pods: QoS classes whose pods may be preempted, e.g. BE (they may use idle shareWhenIdle reservations)', (v) => v.split(',').map((x) => x.trim()).filter(Boolean))
    .option('--no-preemption', 'never preempt running gangs')
    .option('--no-fair-share', "treat the scenario's queues as accounting labels only (no quotas, no reclaim)")
    .option('--no-backfill', 'do not give the scheduler declared run times (maxRuntime) for backfill')
    .option('--buckets <n>', 'timeline buckets', positiveInt('--buckets'), 200)
    .option('--load <fraction>', 'scale to this offered GPU load (1 = 100% of the fleet while gangs arrive), e.g. 0.8, 1, 1.2', (v) => {
      const n = Number(v.endsWith('%') ? v.slice(0, -1) : v) / (v.endsWith('%') ? 100 : 1);
      if (!(n > 0 && n <= 100)) throw new InvalidArgumentError('--load must be a positive number, e.g. 0.8, 1.2 or 120%');
      return n;
    })
    .option('--max-run <duration>', 'cap every run time at this (e.g. 24h; runs a trace caught still running are only lower bounds)', duration('--max-run'))
    .option('--declare-max-run', 'with --max-run: every gang without a declared run time declares the cap (its maxRuntime), so backfill may plan with it')
    .option('--load-by <how>', 'with --load: scale the gaps between arrivals (arrivals), every run time (durations), or arrive as a Poisson process in the same order (poisson)', 'arrivals')
    .option('--arrivals <n>', 'with --load-by poisson: this many arrivals, the trace\'s gangs then copies drawn with replacement', positiveInt('--arrivals'))
    .option('--reservations <yaml>', 'add reservations (and their owners\' gangs) from a replay scenario file: its reservations and gangs lists; the report compares with the same replay without them')
    .option('--out <dir>', 'output directory', 'sim-out/replay')
    .action((o: ReplayFlags) => {
      const { input, defaults, sources, fairShare } = assemble(o);
      if (!['arrivals', 'durations', 'poisson'].includes(o.loadBy)) throw new CliError('--load-by must be arrivals, durations or poisson', EXIT.usage);
      if (o.arrivals !== undefined && (o.load === undefined || o.loadBy !== 'poisson')) throw new CliError('--arrivals goes with --load and --load-by poisson', EXIT.usage);
      if (o.declareMaxRun && o.maxRun === undefined) throw new CliError('--declare-max-run goes with --max-run', EXIT.usage);
      if (o.maxRun !== undefined) input.gangs = input.gangs.map((g) => (g.durationMs !== null && g.durationMs > o.maxRun! ? { ...g, durationMs: o.maxRun! } : g));
      if (o.declareMaxRun) input.gangs = input.gangs.map((g) => (g.gang.maxRuntimeMs === undefined && g.durationMs !== null ? { ...g, gang: { ...g.gang, maxRuntimeMs: o.maxRun! } } : g));
      let load: Omit<ReturnType<typeof scaleToLoad>, 'gangs'> | undefined;
      if (o.load !== undefined) {
        let scaled;
        const seedFor = o.seed ?? defaults.seed ?? 1;
        if (o.arrivals !== undefined) input.gangs = extendArrivals(input.gangs, o.arrivals, seedFor);
        try {
          scaled = scaleToLoad(input.gangs, fleetGpuMilli(input.nodes) / 1000, o.load, o.loadBy as LoadBy, seedFor);
        } catch (e) {
          throw new CliError(`--load: ${(e as Error).message.replace(/^load: /, '')}`, EXIT.usage);
        }
        const { gangs, ...rest } = scaled;
        input.gangs = gangs;
        load = rest;
        const how = rest.by === 'poisson' ? `Poisson arrivals, mean gap ${rest.factor.toPrecision(3)} s` : `${rest.by === 'arrivals' ? 'gaps between arrivals' : 'run times'} × ${rest.factor.toPrecision(4)}`;
        process.stderr.write(`offered GPU load ${(100 * rest.offeredBefore).toPrecision(3)}% → ${(100 * rest.offeredAfter).toPrecision(3)}% (${how})\n`);
      }
      if (o.reservations) {
        // After any load scaling: the owners' work keeps the times the file gives it.
        const extra = readParsed(o.reservations, '--reservations', parseReplayYaml);
        sources['reservations'] = basename(o.reservations);
        input.reservations = [...(input.reservations ?? []), ...extra.reservations];
        input.gangs = [...input.gangs, ...extra.gangs];
      }
      const policy = o.policy ?? defaults.policy ?? 'weft';
      if (!isPolicyName(policy)) throw new CliError(`unknown policy "${policy}" (known: ${POLICY_NAMES.join(', ')})`, EXIT.usage);
      const seed = o.seed ?? defaults.seed ?? 1;
      const name = basename(o.workload ?? o.pods ?? o.sacct!);
      process.stderr.write(`weft sim replay: ${input.nodes.length} nodes, ${input.gangs.length} gangs, policy ${policy}, seed ${seed}\n`);
      const options: ReplayOptions = {
        policy,
        seed,
        cycleMs: o.cycle ?? defaults.cycleMs,
        graceMs: o.grace ?? defaults.graceMs,
        untilMs: o.until ?? defaults.untilMs,
        preemption: o.preemption,
        fairShare: fairShare && o.fairShare,
        backfill: o.backfill,
        buckets: o.buckets,
        progressEvery: 5000,
        onProgress: (p) =>
          process.stderr.write(`  t=${(p.now / 3_600_000).toFixed(2)}h events ${p.events}, arrived ${p.arrived}/${p.total}, running ${p.running}, pending ${p.pending}\n`),
      };
      let result;
      try {
        result = runReplay(input, options);
      } catch (e) {
        if (!/^reservations\[/.test((e as Error).message)) throw e;
        throw new CliError(`${sources['reservations'] ?? sources['workload'] ?? ''}: ${(e as Error).message}`, EXIT.usage);
      }
      // What the reservations cost: the same scenario and seed without them, in the same run.
      const cost = result.reservations ? reservationCost(result, runReplay(withoutReservations(input), { ...options, onProgress: undefined })) : undefined;
      const title = `${name}: replay (${policy}, seed ${seed})`;
      const files = writeReplayReport(o.out, { title, sources, result, ...(load ? { load } : {}), ...(cost ? { reservationCost: cost } : {}) });
      const all = result.overall;
      process.stdout.write(
        `utilisation ${result.utilisationPct.toFixed(2)}% (${result.arrivalWindow.utilisationPct.toFixed(2)}% while arriving)  completed ${all.completed}/${all.submitted}  wait p50/p99 ${all.waitSeconds.p50}/${all.waitSeconds.p99}s  ` +
          `JCT p50/p99 ${all.jctSeconds.p50}/${all.jctSeconds.p99}s  preemptions ${all.preemptions}` +
          (result.notArrived > 0 ? `  (${result.notArrived} gangs due after --until left out)` : '') + '\n',
      );
      if (result.reservations && cost) {
        const t = result.reservations.total;
        process.stdout.write(
          `reservations ${result.reservations.bookings.length}: reserved ${t.reservedGpuHours} GPU-h, owners used ${t.ownerGpuHours}; idle ${t.idleGpuHours}, recovered ${t.recoveredGpuHours} (${t.recoveredPct}%: backfill ${t.backfillGpuHours}, shared ${t.sharedGpuHours}); conflicts ${t.conflicts}\n` +
            `  without them: utilisation ${cost.utilisationPct.without.toFixed(2)}% (${cost.arrivalWindowPct.without.toFixed(2)}% while arriving)  wait mean ${cost.waitMeanSeconds.without}s, p99 ${cost.waitP99Seconds.without}s\n`,
        );
      }
      for (const q of result.byQueue) {
        process.stdout.write(`  ${q.queue.padEnd(14)} wait p50 ${q.waitSeconds.p50}s  JCT p50 ${q.jctSeconds.p50}s  preempted ${q.preemptions}  share ${q.share} / entitled ${q.entitled}\n`);
      }
      process.stderr.write(`wrote ${files.length} files to ${o.out}\n`);
    });
}
