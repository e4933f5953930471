// Time-based replay (DESIGN §7): arrivals and departures on a virtual clock, the real scheduler
// run in periodic cycles, priority preemption with a grace period, and GPU-time accounting.
//
// Loop: pop the next event (finish, release after a stop's grace, arrival; a scheduling cycle
// last at any instant). Anything that changes capacity or the pending set asks for a cycle at
// the next multiple of `cycleMs`. A cycle:
//   1. schedules the pending gangs with `schedule()` (it orders them: priority, then age);
//   2. starts the placed gangs and books their finish at start + duration;
//   3. for each gang still pending, highest first, that outranks some running gang and is not
//      already waiting for victims, asks `findVictims()` for the cheapest set of whole lower-
//      priority gangs; they get a stop request and release their resources after their grace,
//      then go back to the pending set (their work since start is lost and redone).
// A gang that did not fit is only retried once something was released (capacity never grows
// otherwise), which keeps long traces with a deep backlog fast without changing any decision —
// except with backfill, where every waiting gang joins each cycle so reservations hold.
import {
  createPolicy, findVictims, placementCharge, schedule, seededRng, Snapshot, typicalPods,
  type BackfillRunning, type GangDecision, type GangRequest, type ResourceVector, type RunningGang, type RunningReplica, type SchedulerConfig,
} from '../../scheduler/index.js';
import { bookReservations, ReplayBookings, type Holder } from './booked.js';
import { reservationSummary } from './booked-report.js';
import { askedGpus, heldGpus, placementDelta } from './delta.js';
import { EV_ARRIVE, EV_BOOKING, EV_CYCLE, EV_FINISH, EV_RELEASE, EventQueue } from './events.js';
import { Ledger } from './ledger.js';
import { borrowers, queueUsageFor } from './queues.js';
import { jainIndex, queueStats, round } from './metrics.js';
import type { GangOutcome, ReplayInput, ReplayOptions, ReplayResult } from './types.js';

const WAITING = 0;
const PENDING = 1;
const RUNNING = 2;
const STOPPING = 3;
const DONE = 4;

interface GangState {
  phase: number;
  attempt: number;
  startedAt: number;
  firstStart: number | null;
  finishedAt: number | null;
  preemptions: number;
  replicas: RunningReplica[];
  gpus: number;
  /** What it is charged in its fair-share queue while it holds resources. */
  charge: ResourceVector;
  /** Victims still stopping on this gang's behalf. */
  waitingFor: number;
  /** Gang this one is being stopped for (-1: none). */
  stoppedFor: number;
  /** Running-set version at its last failed preemption search. */
  triedAt: number;
  lastReason?: string;
  /** Nodes of the last start. */
  nodes: string[];
}

export function runReplay(input: ReplayInput, opts: ReplayOptions): ReplayResult {
  const cycleMs = opts.cycleMs ?? 10_000;
  const defaultGrace = opts.graceMs ?? 30_000;
  const until = opts.untilMs ?? Infinity;
  const preemption = opts.preemption ?? true;
  const progressEvery = opts.progressEvery ?? 10_000;

  const queueNames = [...new Set([...(input.queues ?? []).map((q) => q.name), ...input.gangs.map((g) => g.queue)])];
  const queueIndex = new Map(queueNames.map((q, i) => [q, i]));
  const nominal = new Map((input.queues ?? []).map((q) => [q.name, q.nominalGpus]));

  const snap = new Snapshot(input.nodes);
  const capacityGpus = snap.gpuTotal;
  const shapes = input.gangs.flatMap((g) => Array.from({ length: g.gang.replicas }, () => g.shape));
  const policy = createPolicy(opts.policy, { typicalPods: typicalPods(shapes), mix: typicalPods(shapes, 1) });
  // Fair share: the declared queues become the scheduler's queue state (ordering, admission,
  // reclaim); schedule() charges what it places and the replay gives it back on release.
  const usage = (opts.fairShare ?? true) && (input.queues ?? []).length > 0 ? queueUsageFor(input.queues!) : undefined;
  // Backfill needs declared run times (maxRuntime) to know when running work ends.
  const backfill = (opts.backfill ?? true) && input.gangs.some((g) => g.gang.maxRuntimeMs !== undefined);
  const configFor = (): SchedulerConfig => {
    const c: { -readonly [K in keyof SchedulerConfig]: SchedulerConfig[K] } = { policy, explain: false };
    if (usage) c.queues = usage;
    if (backfill) c.backfill = { running: backfillRunning() };
    if (booked) c.bookings = booked.at(now, [...holding].map((i): Holder => ({ gang: i, replicas: state[i]!.replicas })));
    return c;
  };
  const rng = seededRng(opts.seed);

  // Without fair share, or for a queue the scenario does not declare, the queue is only an
  // accounting label: the scheduler must not see it (it would refuse an unknown queue).
  const declared = new Set((input.queues ?? []).map((q) => q.name));
  const gangs: GangRequest[] = input.gangs.map((g) => {
    const gang: GangRequest = { ...g.gang, submittedAt: g.submitAt };
    if (usage && declared.has(g.queue)) gang.queue = g.queue;
    else delete gang.queue;
    return gang;
  });
  const byId = new Map(gangs.map((g, i) => [g.id, i]));
  if (byId.size !== gangs.length) throw new Error('gang ids must be unique');
  const qOf = input.gangs.map((g) => queueIndex.get(g.queue)!);
  const state: GangState[] = gangs.map(() => ({
    phase: WAITING, attempt: 0, startedAt: 0, firstStart: null, finishedAt: null, preemptions: 0,
    replicas: [], gpus: 0, charge: {}, waitingFor: 0, stoppedFor: -1, triedAt: -1, nodes: [],
  }));
  const lostGpuMs = new Float64Array(queueNames.length);
  const ledger = new Ledger(queueNames.length);

  const events = new EventQueue();
  input.gangs.forEach((g, i) => events.push(g.submitAt, EV_ARRIVE, i));
  // Reservations: booked in the calendar up front, held by the scheduler from their booking time.
  const booked = (input.reservations ?? []).length > 0 ? new ReplayBookings(bookReservations(input.nodes, input.reservations!), input.nodes, gangs) : null;
  for (const t of booked?.times() ?? []) events.push(t, EV_BOOKING);

  const pending = new Set<number>(); // gangs to try in the next cycle
  const blocked = new Set<number>(); // pending gangs that did not fit; retried after a release
  const running = new Set<number>(); // RUNNING (not STOPPING)
  const holding = new Set<number>(); // RUNNING or STOPPING: holds resources
  let runningVersion = 0;
  let cycleAt = -1;
  let cycles = 0;
  let processed = 0;
  let arrived = 0;
  let now = 0;

  const wantCycle = (t: number) => {
    const at = cycleMs > 0 ? Math.ceil(t / cycleMs) * cycleMs : t;
    if (cycleAt < 0 || at < cycleAt) {
      cycleAt = at;
      events.push(at, EV_CYCLE);
    }
  };

  const releaseAll = (i: number) => {
    const s = state[i]!;
    booked?.stopped(i, s.replicas, now);
    holding.delete(i);
    for (const r of s.replicas) snap.release(r.node, r.delta);
    snap.commit();
    ledger.change(qOf[i]!, -s.gpus);
    ledger.running--;
    s.replicas = [];
    s.gpus = 0;
    const charged = gangs[i]!.queue;
    if (usage && charged !== undefined) usage.release(charged, s.charge);
    s.charge = {};
    if (s.stoppedFor >= 0) state[s.stoppedFor]!.waitingFor--;
    s.stoppedFor = -1;
    for (const b of blocked) pending.add(b);
    blocked.clear();
    wantCycle(now);
  };

  const start = (i: number, d: GangDecision) => {
    const s = state[i]!;
    s.phase = RUNNING;
    s.attempt++;
    s.startedAt = now;
    s.firstStart ??= now;
    s.replicas = d.placements.map((p) => ({ node: p.node, delta: placementDelta(snap, gangs[i]!, p) }));
    s.nodes = d.placements.map((p) => p.nodeName);
    s.gpus = s.replicas.reduce((sum, r) => sum + heldGpus(r.delta), 0);
    if (usage && gangs[i]!.queue !== undefined) s.charge = placementCharge(snap, usage, gangs[i]!, d.placements);
    ledger.change(qOf[i]!, s.gpus);
    booked?.started(i, s.replicas, now);
    holding.add(i);
    ledger.running++;
    ledger.pending--;
    running.add(i);
    runningVersion++;
    const duration = input.gangs[i]!.durationMs;
    if (duration !== null) events.push(now + duration, EV_FINISH, i, s.attempt);
  };

  const preempt = (victim: number, forGang: number) => {
    const v = state[victim]!;
    v.phase = STOPPING;
    v.stoppedFor = forGang;
    running.delete(victim);
    runningVersion++;
    events.push(now + (input.gangs[victim]!.graceMs ?? defaultGrace), EV_RELEASE, victim, v.attempt);
  };

  // Stopping gangs still hold their resources, so backfill counts them (ending at their release).
  const backfillRunning = (): BackfillRunning[] => {
    const out: BackfillRunning[] = [];
    state.forEach((s, i) => {
      if (s.phase !== RUNNING && s.phase !== STOPPING) return;
      const declared = gangs[i]!.maxRuntimeMs;
      out.push({ id: gangs[i]!.id, endsAt: declared === undefined ? null : s.startedAt + declared, replicas: s.replicas });
    });
    return out;
  };

  const runningGangs = (): RunningGang[] => {
    const list = [...running];
    const borrowed = usage ? borrowers(list.map((i) => ({ id: gangs[i]!.id, queue: gangs[i]!.queue, startedAt: state[i]!.startedAt, charge: state[i]!.charge })), usage) : null;
    return list.map((i) => {
      const g: RunningGang = { id: gangs[i]!.id, priority: gangs[i]!.priority ?? 0, replicas: state[i]!.replicas, startedAt: state[i]!.startedAt };
      const queue = gangs[i]!.queue;
      if (usage && queue !== undefined) {
        g.queue = queue;
        g.borrowed = borrowed!.has(g.id);
      }
      return g;
    });
  };

  // The reservation controller's part: stop what has no right to an open window's capacity.
  const sweepBooked = () => {
    const waitingFor = new Set([...blocked].map((i) => booked!.askedBy(i)));
    const holders = [...running].map((i): Holder => ({ gang: i, replicas: state[i]!.replicas }));
    for (const v of booked!.sweep(now, holders, (i) => gangs[i]!.preemptible === true, (k) => waitingFor.has(k))) preempt(v, -1);
  };

  const cycle = () => {
    cycleAt = -1;
    scheduleCycle();
    if (booked) sweepBooked();
  };

  const scheduleCycle = () => {
    if (pending.size === 0) return;
    cycles++;
    // With backfill every waiting gang takes part: the head of the line must be in the cycle to
    // hold its reservation against later arrivals.
    if (backfill) {
      for (const b of blocked) pending.add(b);
      blocked.clear();
    }
    // An owner's gang waiting for its reservation takes part too: while it waits, the booking
    // shares nothing (scheduler/bookings.ts), and the cycle must see it to know.
    if (booked) {
      for (const b of blocked) {
        if (booked.askedBy(b) < 0) continue;
        pending.add(b);
        blocked.delete(b);
      }
    }
    const list = [...pending].map((i) => gangs[i]!);
    pending.clear();
    const config = configFor();
    const { decisions } = schedule(snap, list, config, now, rng);
    snap.commit();
    for (const d of decisions) {
      const i = byId.get(d.gangId)!;
      if (d.placed) start(i, d);
      else {
        state[i]!.lastReason = d.explanation ?? d.unplaced[0]?.message;
        blocked.add(i);
      }
    }
    if (!preemption || running.size === 0) return;
    // `blocked` holds earlier misses too: a new start may have made one of them a candidate.
    let minPriority = Infinity;
    for (const r of running) minPriority = Math.min(minPriority, gangs[r]!.priority ?? 0);
    // With queues, a gang may reclaim lent quota from a borrower of any priority.
    const contenders = [...blocked].filter((i) => usage !== undefined || (gangs[i]!.priority ?? 0) > minPriority).sort((a, b) => (gangs[b]!.priority ?? 0) - (gangs[a]!.priority ?? 0) || input.gangs[a]!.submitAt - input.gangs[b]!.submitAt || a - b);
    let candidates: RunningGang[] | null = null;
    for (const i of contenders) {
      const s = state[i]!;
      if (s.waitingFor > 0 || s.triedAt === runningVersion) continue;
      candidates ??= runningGangs();
      // Backfill is left out of the what-ifs: the victims' release is what frees the room.
      const plan = findVictims(snap, gangs[i]!, candidates, { policy, explain: false, ...(usage ? { queues: usage } : {}), ...(config.bookings ? { bookings: config.bookings } : {}) }, now, rng);
      if (!plan) {
        s.triedAt = runningVersion;
        continue;
      }
      for (const id of plan.victims) preempt(byId.get(id)!, i);
      s.waitingFor = plan.victims.length;
      candidates = null;
    }
  };

  for (let ev = events.pop(); ev && ev.t <= until; ev = events.pop()) {
    now = ev.t;
    ledger.advance(now);
    const i = ev.gang;
    const s = i >= 0 ? state[i]! : undefined;
    if (ev.kind === EV_ARRIVE && s) {
      s.phase = PENDING;
      pending.add(i);
      ledger.pending++;
      arrived++;
      wantCycle(now);
    } else if (ev.kind === EV_FINISH && s && ev.attempt === s.attempt && (s.phase === RUNNING || s.phase === STOPPING)) {
      running.delete(i);
      runningVersion++;
      releaseAll(i);
      s.phase = DONE;
      s.finishedAt = now;
    } else if (ev.kind === EV_RELEASE && s && ev.attempt === s.attempt && s.phase === STOPPING) {
      lostGpuMs[qOf[i]!] = lostGpuMs[qOf[i]!]! + s.gpus * (now - s.startedAt);
      releaseAll(i);
      s.phase = PENDING;
      s.preemptions++;
      pending.add(i);
      ledger.pending++;
    } else if (ev.kind === EV_BOOKING) {
      for (const b of blocked) pending.add(b);
      blocked.clear();
      wantCycle(now);
    } else if (ev.kind === EV_CYCLE) cycle();
    ledger.record();
    if (++processed % progressEvery === 0) {
      opts.onProgress?.({ now, events: processed, arrived, total: gangs.length, running: ledger.running, pending: ledger.pending });
    }
  }
  const end = Number.isFinite(until) ? until : now;
  ledger.advance(end);
  const result = summarise(input, opts, { end, capacityGpus, events: processed, cycles, queueNames, nominal, ledger, lostGpuMs, gangs, state });
  if (booked) result.reservations = reservationSummary(booked.bookings, input.nodes, booked.allRuns(end), (i) => booked.askedBy(i), end, booked.conflicts.size);
  return result;
}

interface Finished {
  end: number;
  capacityGpus: number;
  events: number;
  cycles: number;
  queueNames: string[];
  nominal: Map<string, number>;
  ledger: Ledger;
  lostGpuMs: Float64Array;
  gangs: GangRequest[];
  state: GangState[];
}

function summarise(input: ReplayInput, opts: ReplayOptions, f: Finished): ReplayResult {
  // Gangs due after the end (--until) never arrived: they are left out of every statistic.
  const arrived = f.gangs.map((_, i) => i).filter((i) => input.gangs[i]!.submitAt <= f.end);
  const outcomes: GangOutcome[] = arrived.map((i) => {
    const g = f.gangs[i]!;
    const s = f.state[i]!;
    const gpusPerReplica = askedGpus(g);
    const o: GangOutcome = {
      id: g.id,
      queue: input.gangs[i]!.queue,
      priority: g.priority ?? 0,
      gpus: round(gpusPerReplica * g.replicas),
      submitAt: input.gangs[i]!.submitAt,
      startedAt: s.firstStart,
      finishedAt: s.finishedAt,
      attempts: s.attempt,
      preemptions: s.preemptions,
      nodes: s.nodes,
    };
    if (s.firstStart === null && s.lastReason) o.lastReason = s.lastReason;
    return o;
  });
  const allGpuMs = f.ledger.gpuMs.reduce((a, b) => a + b, 0);
  const allNominal = f.queueNames.reduce((a, q) => a + (f.nominal.get(q) ?? 0), 0);
  // Queues with neither gangs nor a nominal quota (parents of the tree) have nothing to report.
  const byQueue = f.queueNames
    .map((q, k) => queueStats(q, outcomes.filter((o) => o.queue === q), { gpuMs: f.ledger.gpuMs[k]!, lostGpuMs: f.lostGpuMs[k]!, nominal: f.nominal.get(q) ?? 0 }, allGpuMs, allNominal))
    .filter((q) => q.submitted > 0 || (f.nominal.get(q.queue) ?? 0) > 0);
  const lost = f.lostGpuMs.reduce((a, b) => a + b, 0);
  const overall = queueStats('(all)', outcomes, { gpuMs: allGpuMs, lostGpuMs: lost, nominal: allNominal }, allGpuMs, allNominal);
  const ratios = byQueue.filter((q) => q.fairness !== null).map((q) => q.fairness!);
  const from = arrived.length > 0 ? Math.min(...arrived.map((i) => input.gangs[i]!.submitAt)) : 0;
  const to = arrived.length > 0 ? Math.max(...arrived.map((i) => input.gangs[i]!.submitAt)) : 0;
  const windowMs = (to - from) * f.capacityGpus;
  return {
    policy: opts.policy,
    seed: opts.seed,
    end: f.end,
    capacityGpus: f.capacityGpus,
    notArrived: f.gangs.length - arrived.length,
    events: f.events,
    cycles: f.cycles,
    queues: f.queueNames,
    utilisationPct: f.end > 0 && f.capacityGpus > 0 ? round((100 * allGpuMs) / (f.end * f.capacityGpus)) : 0,
    arrivalWindow: { from, to, utilisationPct: windowMs > 0 ? round((100 * f.ledger.gpuMsBetween(from, to)) / windowMs) : 0 },
    overall,
    byQueue,
    jainIndex: jainIndex(ratios),
    timeline: f.ledger.timeline(f.end, opts.buckets ?? 200, f.capacityGpus),
    gangs: outcomes,
  };
}
