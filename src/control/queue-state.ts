// Fair-share queues in the live loop: the Queue resources the loop follows, the tree built from
// them (rebuilt only when one changes), and each cycle's usage, recounted from the active
// Allocations. Also what each Queue's status should say, written at most once per interval and
// only when it changed.
import type { QueueSpec } from '../model/kinds/queue.js';
import type { Resource } from '../model/metadata.js';
import {
  borrowingGangs,
  buildQueueTree,
  queueInputFromSpec,
  QueueUsage,
  resourceName,
  runningCharge,
  type QueuedGang,
  type QueueTree,
  type ResourceVector,
} from '../scheduler/index.js';
import type { StoreTx } from '../store/types.js';
import type { FleetView } from './fleet-view.js';
import { ownerKey } from './workloads/allocations.js';

/** What the loop knows about the gangs running now, by owning workload key. */
export interface QueueCount {
  usage: QueueUsage;
  /** Running gangs (workload key) and what each holds, with the queue it is charged to. */
  gangs: QueuedGang[];
  /** Keys of running gangs that sit on quota their queue borrowed. */
  borrowing: Set<string>;
}

export class QueueState {
  private readonly specs = new Map<string, Resource>();
  private built: QueueTree | null | undefined;
  private lastWritten = new Map<string, string>();
  private writtenAt = -Infinity;

  constructor(private readonly log: (msg: string) => void = () => undefined) {}

  /** Folds a Queue change in; true when the tree changed. */
  apply(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: Resource): boolean {
    const old = this.specs.get(obj.metadata.name);
    if (type === 'DELETED') this.specs.delete(obj.metadata.name);
    else {
      if (old && JSON.stringify(old.spec) === JSON.stringify(obj.spec)) {
        this.specs.set(obj.metadata.name, obj);
        return false;
      }
      this.specs.set(obj.metadata.name, obj);
    }
    this.built = undefined;
    return true;
  }

  clear(): void {
    this.specs.clear();
    this.built = undefined;
  }

  /** The tree, or null when there are no queues or they do not form a valid tree (logged). */
  tree(): QueueTree | null {
    if (this.built !== undefined) return this.built;
    if (this.specs.size === 0) return (this.built = null);
    try {
      const inputs = [...this.specs.values()].map((q) => queueInputFromSpec(q.metadata.name, q.spec as unknown as QueueSpec));
      // Admission keeps the tree whole, but a parent may since have been deleted: its children
      // then stand as roots of their own until it is back.
      for (const q of inputs) {
        if (q.parent !== undefined && !this.specs.has(q.parent)) {
          this.log(`scheduler: queue ${q.name}: parent ${q.parent} does not exist; treated as a root`);
          delete q.parent;
        }
      }
      this.built = buildQueueTree(inputs);
    } catch (e) {
      this.log(`scheduler: queues ignored until fixed: ${(e as Error).message}`);
      this.built = null;
    }
    return this.built;
  }

  /** Usage of every queue from the active allocations; undefined without a queue tree. */
  count(fleet: FleetView, workloads: ReadonlyMap<string, Resource>, now: number): QueueCount | undefined {
    const tree = this.tree();
    if (!tree) return undefined;
    const usage = new QueueUsage(tree);
    const snap = fleet.snapshot();
    const byOwner = new Map<string, QueuedGang>();
    for (const a of fleet.activeAllocations()) {
      const o = ownerKey(a);
      const key = `${o.kind}/${o.project}/${o.name}`;
      const queue = (workloads.get(key)?.spec as { queue?: string } | undefined)?.queue;
      const replica = queue !== undefined && tree.has(queue) ? fleet.replicaOf(a) : undefined;
      if (!replica) continue;
      const charge = runningCharge(snap, usage, queue!, [replica]);
      usage.charge(queue!, charge);
      const started = Date.parse(String(a.status?.startedAt ?? a.metadata.creationTimestamp));
      let g = byOwner.get(key);
      if (!g) byOwner.set(key, (g = { id: key, queue: queue!, startedAt: Number.isNaN(started) ? now : started, charge: {} }));
      else if (!Number.isNaN(started)) g.startedAt = Math.min(g.startedAt, started);
      for (const [k, n] of Object.entries(charge)) g.charge[k] = (g.charge[k] ?? 0) + n;
    }
    const gangs = [...byOwner.values()];
    return { usage, gangs, borrowing: borrowingGangs(gangs, usage) };
  }

  /** Whether `intervalMs` has passed since statuses were last looked at (no transaction needed before). */
  statusDue(intervalMs: number): boolean {
    return performance.now() - this.writtenAt >= intervalMs;
  }

  /**
   * Writes each Queue's status (usage, borrowed, lent, pending and admitted gangs) when it
   * changed, at most once per `intervalMs` of wall-clock time. `pending` counts unplaced gangs
   * per queue.
   */
  async writeStatus(tx: StoreTx, counted: QueueCount, pending: ReadonlyMap<string, number>, intervalMs: number): Promise<number> {
    if (!this.statusDue(intervalMs)) return 0;
    this.writtenAt = performance.now();
    const admitted = new Map<string, number>();
    for (const g of counted.gangs) admitted.set(g.queue!, (admitted.get(g.queue!) ?? 0) + 1);
    let writes = 0;
    for (const [name, obj] of this.specs) {
      if (!counted.usage.tree.has(name)) continue;
      const u = counted.usage;
      const used: ResourceVector = {};
      for (const k of u.tree.governedKeys(name)) {
        const n = u.usage(name, k);
        if (n > 0) used[k] = n;
      }
      const status = {
        usage: readable(used),
        borrowed: readable(u.borrowed(name)),
        lent: readable(u.lent(name)),
        pendingGangs: pending.get(name) ?? 0,
        admittedGangs: admitted.get(name) ?? 0,
      };
      const text = JSON.stringify(status);
      if (this.lastWritten.get(name) === text) continue;
      const fresh = await tx.get({ kind: 'Queue', name });
      if (!fresh) continue;
      const written = await tx.update({ ...fresh, status: { ...(fresh.status ?? {}), ...status } });
      this.specs.set(name, { ...obj, metadata: written.metadata });
      this.lastWritten.set(name, text);
      writes++;
    }
    return writes;
  }
}

/** A vector in the units people read: GPUs per model, cores, bytes. */
function readable(v: ResourceVector): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, n] of Object.entries(v)) out[resourceName(k)] = k === 'memory' ? n : n / 1000;
  return out;
}
