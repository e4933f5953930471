// The scheduling loop (docs/lifecycle.md): leader-only; keeps Nodes, active Allocations and
// pending workloads in memory from an informer, and each cycle
//   1. asks every workload adapter what still needs placing (only for workloads touched since
//      the last cycle, those still pending, and — once per interval — all of them, for timers);
//   2. counts what each fair-share queue holds (queue-state.ts), and runs the pure scheduler on
//      the incremental snapshot (it orders by priority, queue share, then pending-since, and
//      keeps every queue within its limits);
//   3. commits every decision of the cycle in ONE transaction (placement-commit.ts); should it
//      fail (a concurrent writer, the ledger refusing a stale picture), it retries workload by
//      workload so one culprit cannot hold back the rest, and reloads its picture;
//   4. undoes its own assumptions on the snapshot and applies what was really committed;
//   5. lets gangs still unplaced preempt lower-priority running gangs, or reclaim their queue's
//      lent quota from borrowers (preemption.ts): it asks the victims to stop; the preemptor is
//      placed by a later cycle once they have let go. Queue statuses are written, throttled.
import { onAbort } from '../model/abort.js';
import { StoreUnavailableError } from '../model/errors.js';
import type { Resource } from '../model/metadata.js';
import { schedule, seededRng, type BookedCapacity, type GangDecision, type GangRequest, type Policy, type Rng } from '../scheduler/index.js';
import type { Store, WatchEvent } from '../store/types.js';
import type { Clock } from './clock.js';
import { isActiveAllocation } from '../model/allocation-rules.js';
import { Informer } from './informer.js';
import { podShape } from './gang.js';
import { allocationFor, commitCycle, explanationChanged, noCommit, type Bind, type CommitResult, type Explain } from './placement-commit.js';
import { PolicySource } from './policy-source.js';
import { positionsOf, type QueuePositions } from './queue-positions.js';
import type { QueueCount } from './queue-state.js';
import { SchedulingPicture } from './scheduling-picture.js';
import { commitPreemptions, planPreemptions, type Nomination } from './preemption.js';
import type { PlacementDemand, WorkloadAdapter } from './workloads/types.js';

export interface SchedulingLoopOptions {
  store: Store;
  clock: Clock;
  adapters: readonly WorkloadAdapter[];
  /** Placement policy name (default "weft"). */
  policy?: string;
  /** Longest gap between cycles, for time-driven demand such as retry backoff (default 1000 ms). */
  intervalMs?: number;
  seed?: number;
  /** Shortest wall-clock gap between writes of Queue statuses (default 3000 ms). */
  queueStatusIntervalMs?: number;
  /** Receives each cycle's queue positions (served live on read, never stored). */
  positions?: QueuePositions;
  log?: (msg: string) => void;
}

export interface CycleStats {
  cycle: number;
  demands: number;
  placed: number;
  unplaced: number;
  skipped: number;
  /** Wall-clock duration of the cycle (for the cycle-duration histogram). */
  durationMs?: number;
  /** Where a full cycle's time went (ms): asking adapters for demands, the pure scheduler, the commit, preemption and queue statuses. */
  phases?: { demand: number; schedule: number; commit: number; preempt: number };
  /** Skipped: nothing changed since an identical cycle placed, explained and preempted nothing. */
  quiet?: boolean;
}

const keyOf = (o: Resource): string => `${o.kind}/${o.metadata.project ?? ''}/${o.metadata.name}`;

/** Longest a backlog goes without a full scheduling cycle while nothing changes. */
const FULL_SWEEP_MS = 30_000;

export class SchedulingLoop {
  /** The fleet, workloads, priority classes, queues and residency the cycles decide from. */
  private readonly picture: SchedulingPicture;
  private readonly adapters: Map<string, WorkloadAdapter>;
  private readonly policy: PolicySource;
  private readonly rng: Rng;
  private readonly log: (msg: string) => void;
  /** Workloads to look at next cycle (touched, or still pending). */
  private touched = new Set<string>();
  /** Workloads their adapter calls settled: sweeps skip them (a write touches them again). */
  private readonly settled = new Set<string>();
  private pending = new Set<string>();
  private sweepAt = 0;
  private wake: (() => void) | undefined;
  private cycles = 0;
  /** Per preemptor: the victims' allocations (project/name) it is waiting for to let go. */
  private readonly nominated = new Map<string, string[]>();
  /** The informer has delivered its lists: no replays of older versions remain. */
  private caughtUp = false;
  /** Counts changes folded in that may change what a cycle does (apply() returned true). */
  private epoch = 0;
  /**
   * The last cycle that changed nothing: the epoch after it and the demands it saw. A cycle
   * seeing the same epoch and the same demands would decide the same again, so it is skipped (a
   * backlog that cannot be placed costs nothing while the fleet is still), except once every
   * FULL_SWEEP_MS, for what only time changes (backfill windows).
   */
  private quiet: { epoch: number; demands: string; at: number; counted?: QueueCount; unplaced: { demand: PlacementDemand }[] } | undefined;
  /** Called after each cycle (tests and benchmarks observe progress). */
  onCycle: ((s: CycleStats) => void) | undefined;

  constructor(private readonly opts: SchedulingLoopOptions) {
    this.log = opts.log ?? (() => undefined);
    this.adapters = new Map(opts.adapters.map((a) => [a.kind, a]));
    this.picture = new SchedulingPicture(new Set(this.adapters.keys()), this.log);
    this.policy = new PolicySource(opts.policy ?? 'weft');
    this.rng = seededRng(opts.seed ?? 1);
  }

  /**
   * Runs until `signal` aborts. The informer keeps the picture current (a watch that falls
   * behind lists again and brings only the differences); a cycle that fails starts everything
   * afresh from the store.
   */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const session = new AbortController();
      const stop = (): void => session.abort();
      signal.addEventListener('abort', stop, { once: true });
      try {
        this.reset();
        const informer = new Informer({
          store: this.opts.store,
          sources: this.picture.kinds().map((kind) => ({ kind })),
          // Finished allocations hold nothing: leaving them out keeps the cache to live work.
          transform: (o) => (o.kind === 'Allocation' && !isActiveAllocation(o) ? undefined : o),
          onEvent: (ev) => {
            if (ev.type !== 'SYNC' && this.apply({ type: ev.type, object: ev.object })) this.wake?.();
          },
          log: this.log,
        });
        const following = informer.run(session.signal).catch((e: unknown) => {
          if (!session.signal.aborted) this.log(`scheduler: following the store failed: ${(e as Error).message}`);
          session.abort();
        });
        await informer.synced;
        // Replays never reach the loop past the lists: versions of what is gone need not be kept.
        this.caughtUp = true;
        await this.cycleUntil(session.signal);
        session.abort();
        await following;
      } catch (e) {
        if (!signal.aborted) this.log(`scheduler: ${(e as Error).message}; reloading`);
        session.abort();
        await new Promise((r) => setTimeout(r, 500));
      } finally {
        signal.removeEventListener('abort', stop);
        // Whatever this process knew of the queue is stale once it stops scheduling.
        this.opts.positions?.clear();
      }
    }
  }

  /** Forgets the picture: the next informer lists everything again. */
  private reset(): void {
    this.picture.reset();
    this.settled.clear();
    this.caughtUp = false;
    this.sweepAt = 0;
    this.quiet = undefined;
  }

  /**
   * Folds one change into the picture; true when it may change what the next cycle does. A change
   * that may change how other gangs place (the fleet, queues, priorities, a workload's spec) also
   * moves the epoch; a workload's own status does not (its own demand is compared by version).
   */
  private apply(ev: WatchEvent): boolean {
    const o = ev.object;
    const workload = this.adapters.has(o.kind);
    const before = workload ? this.picture.workloads.get(keyOf(o))?.metadata.generation : undefined;
    const changed = this.fold(ev);
    const statusOnly = workload && ev.type === 'MODIFIED' && before !== undefined && before === o.metadata.generation;
    if (changed && !statusOnly) this.epoch++;
    return changed;
  }

  private fold(ev: WatchEvent): boolean {
    const { changed, touched } = this.picture.fold(ev);
    if (touched) this.touched.add(touched);
    const adapter = this.adapters.get(ev.object.kind);
    if (adapter && touched) {
      if (ev.type !== 'DELETED' && adapter.settled?.(ev.object)) this.settled.add(touched);
      else this.settled.delete(touched);
    }
    return changed;
  }

  private async cycleUntil(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await this.cycle();
      if (this.touched.size > 0) {
        await new Promise((r) => setImmediate(r)); // let the watch deliver what our own commit caused
        if (this.touched.size > 0) continue;
      }
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(t);
          signal.removeEventListener('abort', done);
          this.wake = undefined;
          resolve();
        };
        const t = setTimeout(done, Math.max(0, this.sweepAt - performance.now()));
        this.wake = done;
        onAbort(signal, done);
      });
    }
  }

  /** One scheduling cycle; exposed for tests. */
  async cycle(): Promise<CycleStats> {
    const startedAt = performance.now();
    const now = this.opts.clock.now();
    const stats: CycleStats = { cycle: ++this.cycles, demands: 0, placed: 0, unplaced: 0, skipped: 0 };
    // Sweeps run on the wall clock's pace (how often), judged on the injected clock (what is due).
    const sweep = performance.now() >= this.sweepAt;
    if (sweep) {
      this.sweepAt = performance.now() + (this.opts.intervalMs ?? 1000);
      if (this.caughtUp) this.picture.fleet.forgetTombstones();
    }
    const keys = sweep ? [...this.picture.workloads.keys()].filter((k) => !this.settled.has(k) || this.touched.has(k)) : [...new Set([...this.touched, ...this.pending])];
    this.touched = new Set();
    const demands: { d: PlacementDemand; adapter: WorkloadAdapter }[] = [];
    for (const k of keys) {
      const w = this.picture.workloads.get(k);
      const adapter = w && this.adapters.get(w.kind);
      const d = adapter && this.picture.demandOf(w!, adapter, now);
      if (!d || !adapter) continue;
      demands.push({ d, adapter });
    }
    this.pending = new Set(demands.map(({ d }) => keyOf(d.workload)));
    stats.demands = demands.length;
    const seen = demandsKey(demands.map(({ d }) => d));
    if (this.quiet && this.quiet.epoch === this.epoch && this.quiet.demands === seen && performance.now() - this.quiet.at < FULL_SWEEP_MS) {
      // Queue statuses are throttled: one that was not due at the last full cycle is written now,
      // from that cycle's counts (nothing has changed them since).
      await this.writeQueueStatus(this.quiet.counted, this.quiet.unplaced);
      stats.quiet = true;
      stats.durationMs = performance.now() - startedAt;
      this.onCycle?.(stats);
      return stats;
    }
    if (demands.length === 0) {
      this.opts.positions?.clear();
      // Nothing to place, but finished work changes what queues hold: recount when a write is due.
      if (this.picture.queues.statusDue(this.opts.queueStatusIntervalMs ?? 3000)) await this.writeQueueStatus(this.picture.count(now), []);
      stats.durationMs = performance.now() - startedAt;
      this.onCycle?.(stats);
      return stats;
    }
    const scheduleFrom = performance.now();
    for (const { d } of demands) this.policy.observe(podShape(d.resources), d.replicas.length);
    this.policy.current();
    const snap = this.picture.fleet.snapshot();
    this.policy.calibrate(snap); // weft's replay of the learned mix, a slice per cycle
    const policy = this.policy.current()!;
    // Fair share: what each queue holds now; the scheduler charges what it admits on top.
    const counted = this.picture.count(now);
    const gangs = demands.map(({ d }, i) => this.picture.gangOf(String(i), d));
    // Backfill: running work ends at start + declared max runtime (unknown = never).
    const backfill = this.picture.backfill();
    const bookings = this.picture.bookings(now);
    const mark = snap.mark();
    let decisions: GangDecision[];
    try {
      decisions = schedule(snap, gangs, { policy, backfill, bookings, ...(counted ? { queues: counted.usage } : {}) }, now.getTime(), this.rng).decisions;
    } finally {
      // The snapshot must show only what is committed; committed allocations are applied below.
      snap.rollback(mark);
      snap.commit();
    }
    const binds: Bind[] = [];
    const explains: Explain[] = [];
    for (const dec of decisions) {
      const { d, adapter } = demands[Number(dec.gangId)]!;
      if (dec.placed) binds.push({ demand: d, adapter, allocations: dec.placements.map((p) => allocationFor(this.picture.fleet, d, p, this.picture.volumes)), locality: dec.locality });
      else {
        stats.unplaced++;
        const e: Explain = { demand: d, unplaced: dec.unplaced, decision: dec };
        if (explanationChanged(e)) explains.push(e);
      }
    }
    const commitFrom = performance.now();
    const result = await this.commit(binds, explains, now);
    const preemptFrom = performance.now();
    for (const w of result.workloads) this.apply({ type: 'MODIFIED', object: w });
    for (const a of result.allocations) this.apply({ type: 'ADDED', object: a });
    stats.placed = result.bound;
    stats.skipped = result.skipped;
    for (const why of result.refused) this.log(`scheduler: not bound, the residency changed under the cycle: ${why}`);
    const unplaced = decisions.filter((dec) => !dec.placed).map((dec) => ({ demand: demands[Number(dec.gangId)]!.d, gang: gangs[Number(dec.gangId)]! }));
    this.opts.positions?.replace(positionsOf(decisions, (gangId) => demands[Number(gangId)]!.d.workload));
    const nominated = unplaced.length > 0 ? await this.preempt(unplaced, policy, now, bookings, counted) : 0;
    await this.writeQueueStatus(counted, unplaced);
    // A cycle that bound, explained and preempted nothing is not repeated while nothing moves.
    this.quiet = binds.length === 0 && explains.length === 0 && nominated === 0 ? { epoch: this.epoch, demands: seen, at: performance.now(), counted, unplaced } : undefined;
    stats.durationMs = performance.now() - startedAt;
    stats.phases = { demand: scheduleFrom - startedAt, schedule: commitFrom - scheduleFrom, commit: preemptFrom - commitFrom, preempt: performance.now() - preemptFrom };
    this.onCycle?.(stats);
    return stats;
  }

  /** Step 5: nominate victims for unplaced gangs and ask them to stop, all in one transaction. */
  /** Returns how many preemptors were given victims. */
  private async preempt(unplaced: { demand: PlacementDemand; gang: GangRequest }[], policy: Policy, now: Date, bookings: BookedCapacity[], counted?: QueueCount): Promise<number> {
    const waiting = (k: string): boolean => {
      const victims = this.nominated.get(k);
      if (!victims) return false;
      if (victims.some((v) => this.picture.fleet.isActive(...(v.split('/') as [string, string])))) return true;
      this.nominated.delete(k);
      return false;
    };
    let noms: Nomination[];
    try {
      noms = planPreemptions({
        fleet: this.picture.fleet,
        workloads: this.picture.workloads,
        priorityOf: (w) => this.picture.priorityOf(w),
        preemptible: (w) => this.picture.preemptible(w),
        unplaced,
        waiting,
        config: { policy, explain: false, bookings },
        ...(counted ? { queues: counted } : {}),
        now: now.getTime(),
        rng: this.rng,
      });
    } catch (e) {
      this.log(`scheduler: preemption skipped: ${(e as Error).message}`);
      return 0;
    }
    if (noms.length === 0) return 0;
    try {
      await this.opts.store.transaction((tx) => commitPreemptions(tx, noms, now));
    } catch (e) {
      // A victim changed meanwhile (finished, stopped): the next cycle decides again on fresh data.
      this.log(`scheduler: preemption not committed: ${(e as Error).message}`);
      return 0;
    }
    for (const n of noms) {
      const keys = n.victims.flatMap((v) => v.allocations.map((a) => `${a.metadata.project ?? ''}/${a.metadata.name}`));
      this.nominated.set(keyOf(n.preemptor), keys);
      this.log(`scheduler: ${keyOf(n.preemptor)} preempts ${n.victims.map((v) => keyOf(v.workload)).join(', ')}`);
    }
    return noms.length;
  }

  /** Queue statuses (usage, borrowed, lent, pending and admitted gangs), throttled inside QueueState. */
  private async writeQueueStatus(counted: QueueCount | undefined, unplaced: readonly { demand: PlacementDemand }[]): Promise<void> {
    const interval = this.opts.queueStatusIntervalMs ?? 3000;
    if (!counted || !this.picture.queues.statusDue(interval)) return;
    const pending = new Map<string, number>();
    for (const { demand } of unplaced) if (demand.queue !== undefined) pending.set(demand.queue, (pending.get(demand.queue) ?? 0) + 1);
    try {
      await this.opts.store.transaction((tx) => this.picture.queues.writeStatus(tx, counted, pending, interval));
    } catch (e) {
      this.log(`scheduler: queue status not written: ${(e as Error).message}`);
    }
  }

  private async commit(binds: Bind[], explains: Explain[], now: Date): Promise<CommitResult> {
    if (binds.length === 0 && explains.length === 0) return noCommit();
    try {
      return await this.opts.store.transaction((tx) => commitCycle(tx, binds, explains, now), { batchCreates: true });
    } catch (e) {
      if (e instanceof StoreUnavailableError) {
        // The database is away or its disk is full: no single workload is to blame and each would
        // fail the same way. Retried by the next sweep, not at once: marking them touched would
        // spin the loop at full speed for as long as the database stays unavailable.
        this.log(`scheduler: cycle not committed: ${e.message}; retrying at the next sweep`);
        return noCommit(binds.length + explains.length);
      }
      this.log(`scheduler: cycle commit failed (${(e as Error).message}); committing workload by workload`);
    }
    const total = noCommit();
    const one = async (b: Bind[], x: Explain[]): Promise<void> => {
      try {
        const r = await this.opts.store.transaction((tx) => commitCycle(tx, b, x, now), { batchCreates: true });
        total.workloads.push(...r.workloads);
        total.allocations.push(...r.allocations);
        total.skipped += r.skipped;
        total.bound += r.bound;
        total.refused.push(...r.refused);
      } catch (e) {
        total.skipped++;
        const w = (b[0] ?? x[0])!.demand.workload;
        this.log(`scheduler: ${w.kind} ${w.metadata.project}/${w.metadata.name} not committed: ${(e as Error).message}`);
        this.touched.add(keyOf(w));
      }
    };
    for (const b of binds) await one([b], []);
    for (const x of explains) await one([], [x]);
    return total;
  }
}

/**
 * The pending demands of a cycle in a comparable form: what each asks for (spec generation,
 * attempt, replicas, priority), not the workload's version: a status-only write (a controller
 * tidying the status of a waiting Job) asks for nothing new.
 */
function demandsKey(demands: readonly PlacementDemand[]): string {
  return demands
    .map((d) => `${keyOf(d.workload)}@g${d.workload.metadata.generation}:a${d.attempt}:p${d.priority}:${d.replicas.join(',')}`)
    .sort()
    .join('\n');
}
