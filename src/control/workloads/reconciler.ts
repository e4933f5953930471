// The loop every workload controller shares: an informer on the workload kind and on
// Allocations, reconciling one workload at a time in its own transaction. Nothing is kept in
// memory that the store does not also hold: a due time (retry, deadline, idle, TTL) is re-derived
// from the workload's status on every pass, so a restart loses nothing.
import type { Resource } from '../../model/metadata.js';
import type { Store, StoreTx } from '../../store/types.js';
import type { Clock } from '../clock.js';
import { Informer } from '../informer.js';
import { allocSpec, isActive, LABEL_KIND, LABEL_WORKLOAD, ownerKey, requestStop } from './allocations.js';
import type { WorkloadKind } from './types.js';

export interface WorkloadKey {
  project: string;
  name: string;
}

export interface PassResult {
  /** Whether the pass wrote anything. */
  changed: boolean;
  /** When this workload must be looked at again even if nothing changes in the store. */
  requeueAt?: Date;
}

/**
 * One kind's reconcile step: compare the workload with its allocations (every phase and attempt,
 * in attempt then replica order) and write the difference — inside `tx`.
 */
export type ReconcileFn = (tx: StoreTx, workload: Resource, allocations: Resource[], now: Date) => Promise<PassResult>;

export interface ControllerOptions {
  /** How often (real time) due timers are checked against the injected clock (default 1000 ms). */
  tickMs?: number;
  log?: (msg: string) => void;
}

/** Longest run of reconcile passes before the event loop gets a turn (real time). */
const YIELD_AFTER_MS = 20;

const keyString = (k: WorkloadKey) => `${k.project}/${k.name}`;
const keyOf = (w: Resource): WorkloadKey => ({ project: w.metadata.project ?? '', name: w.metadata.name });

export class WorkloadController {
  private readonly due = new Map<string, { key: WorkloadKey; at: number }>();
  private readonly queue = new Map<string, WorkloadKey>();
  private draining: Promise<void> | undefined;
  /** Set when start()'s term ends: the queue is left for the next term, which lists again. */
  private halted = false;

  constructor(
    readonly kind: WorkloadKind,
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly step: ReconcileFn,
    private readonly opts: ControllerOptions = {},
  ) {}

  /**
   * Reconciles one workload now. Allocations that carry its name but not its uid (left by a
   * deleted workload, or by an older one of the same name) are stopped, then deleted once
   * terminal: the garbage collection of allocations happens here.
   */
  async reconcile(key: WorkloadKey): Promise<PassResult> {
    const now = this.clock.now();
    const result = await this.store.transaction(async (tx) => {
      const w = await tx.get({ kind: this.kind, project: key.project, name: key.name });
      const { items } = await tx.list('Allocation', {
        project: key.project,
        labelSelector: `${LABEL_KIND}=${this.kind},${LABEL_WORKLOAD}=${key.name}`,
      });
      let collected = false;
      const owned: Resource[] = [];
      for (const a of items) {
        if (w && allocSpec(a).workload.uid === w.metadata.uid) owned.push(a);
        else if (await this.collect(tx, a, now)) collected = true;
      }
      owned.sort((a, b) => allocSpec(a).attempt - allocSpec(b).attempt || allocSpec(a).replica - allocSpec(b).replica);
      const r: PassResult = w ? await this.step(tx, w, owned, now) : { changed: false };
      return { ...r, changed: r.changed || collected };
    });
    const k = keyString(key);
    if (result.requeueAt) this.due.set(k, { key, at: result.requeueAt.getTime() });
    else this.due.delete(k);
    return result;
  }

  private async collect(tx: StoreTx, a: Resource, now: Date): Promise<boolean> {
    if (isActive(a)) return requestStop(tx, a, 'OwnerDeleted', now);
    await tx.delete({ kind: 'Allocation', project: a.metadata.project, name: a.metadata.name });
    return true;
  }

  /**
   * One full pass over every workload of the kind and its orphans, repeated until nothing
   * changes (bounded). Tests drive controllers with this; start() uses it on (re)list.
   */
  async reconcileAll(maxRounds = 20): Promise<number> {
    let writes = 0;
    for (let round = 0; round < maxRounds; round++) {
      let changed = 0;
      for (const key of await this.allKeys()) if ((await this.reconcile(key)).changed) changed++;
      writes += changed;
      if (changed === 0) break;
    }
    return writes;
  }

  /**
   * Runs until `signal` aborts: a full pass, then watch-driven, with due timers checked every
   * tickMs. A pass that fails (say, a conflict with the scheduling loop writing the same
   * workload) is retried on a later tick rather than ending the controller.
   */
  async start(signal: AbortSignal): Promise<void> {
    this.halted = false;
    const tick = setInterval(() => this.enqueueDue(), this.opts.tickMs ?? 1000);
    // Only keys are kept: which workload a change is about (an allocation's owner, even a
    // deleted one, whose orphans are collected through that key).
    const informer = new Informer<WorkloadKey>({
      store: this.store,
      sources: [{ kind: this.kind }, { kind: 'Allocation' }],
      transform: (o) => (o.kind !== 'Allocation' ? keyOf(o) : allocSpec(o).workload.kind === this.kind ? ownerKey(o) : undefined),
      onEvent: (ev) => this.enqueue(ev.value),
      log: this.opts.log,
    });
    try {
      await informer.run(signal);
    } finally {
      clearInterval(tick);
      // Finish the workload at hand, not the whole queue: after a restart it holds every
      // workload of the store, and a stop would otherwise wait for all of them.
      this.halted = true;
      this.queue.clear();
      await this.draining;
    }
  }

  /** Every workload of the kind, and every owner named by one of its allocations. */
  private async allKeys(): Promise<WorkloadKey[]> {
    const keys = new Map<string, WorkloadKey>();
    for (const w of (await this.store.list(this.kind)).items) keys.set(keyString(keyOf(w)), keyOf(w));
    // Allocations whose owner is gone are reached through the owner's key.
    for (const a of (await this.store.list('Allocation')).items) {
      if (allocSpec(a).workload.kind === this.kind) keys.set(keyString(ownerKey(a)), ownerKey(a));
    }
    return [...keys.values()];
  }

  private enqueue(key: WorkloadKey): void {
    this.queue.set(keyString(key), key);
    this.kick();
  }

  private enqueueDue(): void {
    const now = this.clock.now().getTime();
    for (const [k, d] of this.due) {
      if (d.at > now) continue;
      this.due.delete(k);
      this.enqueue(d.key);
    }
  }

  private kick(): void {
    this.draining ??= this.drain().finally(() => {
      this.draining = undefined;
      if (this.queue.size > 0) this.kick();
    });
  }

  private async drain(): Promise<void> {
    let slice = performance.now();
    while (this.queue.size > 0 && !this.halted) {
      for (const [k, key] of [...this.queue]) {
        if (this.halted) return;
        // Passes back to back are one long chain of promise continuations (the embedded engine
        // answers without real I/O): after a restart, thousands of them kept the API from
        // answering for minutes. Let the event loop run between slices of work.
        if (performance.now() - slice >= YIELD_AFTER_MS) {
          await new Promise((resolve) => setImmediate(resolve));
          slice = performance.now();
        }
        this.queue.delete(k);
        // A failed pass (a conflict with a concurrent writer, say) is retried on the next tick.
        await this.reconcile(key).catch((e: unknown) => {
          this.opts.log?.(`${this.kind} ${k}: ${(e as Error).message}; retrying`);
          this.due.set(k, { key, at: 0 });
        });
      }
    }
  }
}
