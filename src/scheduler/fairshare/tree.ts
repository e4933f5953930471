// The queue tree: structure only (names, parents, limits, weights), checked once when built.
// The accounting maths over it live in accounting.ts, so the tree can be rebuilt when Queue
// resources change while usage is recomputed every cycle.
import { ValidationError } from '../../model/errors.js';
import type { QueueSpec } from '../../model/kinds/queue.js';
import { amountsToVector, ANY_GPU_KEY, isGpuKey, gpuKey, type ResourceVector } from './resources.js';

/** One queue as the scheduler takes it (vectors in the units of resources.ts). */
export interface QueueInput {
  name: string;
  parent?: string;
  nominal?: ResourceVector;
  /** How much more than its (subtree's) nominal quota it may use, per key; absent key = unlimited. */
  borrowingLimit?: ResourceVector;
  /** How much of its (subtree's) idle quota others may use, per key; absent key = all of it. */
  lendingLimit?: ResourceVector;
  /** Relative entitlement when comparing shares (> 0, default 1). */
  weight?: number;
}

export interface QueueNode {
  readonly name: string;
  readonly parent: string | undefined;
  readonly children: readonly string[];
  readonly nominal: Readonly<ResourceVector>;
  readonly borrowingLimit: Readonly<ResourceVector> | undefined;
  readonly lendingLimit: Readonly<ResourceVector> | undefined;
  readonly weight: number;
  /** The tree (root queue name) it belongs to: quotas are shared within one tree only. */
  readonly root: string;
}

export class QueueTree {
  private readonly nodes: Map<string, QueueNode>;
  /** Per root: every key some queue of that tree names (what the tree governs). */
  private readonly keysByRoot = new Map<string, ReadonlySet<string>>();
  /** Queue names, children before parents (the order accounting folds usage upwards in). */
  readonly bottomUp: readonly string[];

  constructor(nodes: Map<string, QueueNode>, bottomUp: string[]) {
    this.nodes = nodes;
    this.bottomUp = bottomUp;
    for (const n of nodes.values()) {
      let keys = this.keysByRoot.get(n.root) as Set<string> | undefined;
      if (!keys) this.keysByRoot.set(n.root, (keys = new Set()));
      for (const v of [n.nominal, n.borrowingLimit, n.lendingLimit]) for (const k of Object.keys(v ?? {})) keys.add(k);
    }
  }

  has(name: string): boolean {
    return this.nodes.has(name);
  }

  get(name: string): QueueNode {
    const n = this.nodes.get(name);
    if (!n) throw new ValidationError(`queue "${name}" does not exist`, [{ field: 'spec.queue', message: `queue "${name}" does not exist` }]);
    return n;
  }

  names(): IterableIterator<string> {
    return this.nodes.keys();
  }

  /** Every key the queue's tree governs; other resources are not limited by it. */
  governedKeys(queue: string): ReadonlySet<string> {
    return this.keysByRoot.get(this.get(queue).root)!;
  }

  /**
   * The key a GPU of `model` is charged to in `queue`'s tree, or null when the tree does not
   * govern GPUs. A tree that names any GPU key governs all GPUs: a model it does not name is
   * charged to "gpu/*" (whose quota is 0 where not given), so no model escapes the quota.
   */
  gpuKeyFor(queue: string, model: string): string | null {
    const keys = this.governedKeys(queue);
    if (keys.has(gpuKey(model))) return gpuKey(model);
    for (const k of keys) if (isGpuKey(k)) return ANY_GPU_KEY;
    return null;
  }

  /** The queue and its ancestors, nearest first. */
  pathToRoot(queue: string): string[] {
    const out: string[] = [];
    for (let q: string | undefined = queue; q !== undefined; q = this.nodes.get(q)!.parent) out.push(q);
    return out;
  }
}

/** Builds and checks the tree: unique names, known parents, no cycles, positive weights. */
export function buildQueueTree(inputs: readonly QueueInput[]): QueueTree {
  const byName = new Map<string, QueueInput>();
  for (const q of inputs) {
    if (byName.has(q.name)) throw ValidationError.field('metadata.name', `queue "${q.name}" is defined twice`);
    if (q.weight !== undefined && !(q.weight > 0)) throw ValidationError.field('spec.weight', `queue "${q.name}" has weight ${q.weight}; it must be > 0`);
    byName.set(q.name, q);
  }
  for (const q of inputs) {
    if (q.parent !== undefined && !byName.has(q.parent)) {
      throw ValidationError.field('spec.parent', `queue "${q.name}" names parent "${q.parent}", which does not exist`);
    }
  }
  // Walk each queue up to its root; meeting a queue already on the walk is a cycle.
  const rootOf = new Map<string, string>();
  for (const q of inputs) {
    const walk: string[] = [];
    let cur: string | undefined = q.name;
    while (cur !== undefined && !rootOf.has(cur)) {
      if (walk.includes(cur)) throw ValidationError.field('spec.parent', `queues ${[...walk.slice(walk.indexOf(cur)), cur].join(' → ')} form a cycle`);
      walk.push(cur);
      cur = byName.get(cur)!.parent;
    }
    const root = cur === undefined ? walk[walk.length - 1]! : rootOf.get(cur)!;
    for (const w of walk) rootOf.set(w, root);
  }
  const children = new Map<string, string[]>();
  for (const q of inputs) if (q.parent !== undefined) (children.get(q.parent) ?? children.set(q.parent, []).get(q.parent)!).push(q.name);
  const nodes = new Map<string, QueueNode>();
  for (const q of inputs) {
    nodes.set(q.name, {
      name: q.name,
      parent: q.parent,
      children: (children.get(q.name) ?? []).sort(),
      nominal: { ...(q.nominal ?? {}) },
      borrowingLimit: q.borrowingLimit ? { ...q.borrowingLimit } : undefined,
      lendingLimit: q.lendingLimit ? { ...q.lendingLimit } : undefined,
      weight: q.weight ?? 1,
      root: rootOf.get(q.name)!,
    });
  }
  const bottomUp: string[] = [];
  const visit = (name: string): void => {
    for (const c of nodes.get(name)!.children) visit(c);
    bottomUp.push(name);
  };
  for (const n of [...nodes.values()].filter((n) => n.parent === undefined).sort((a, b) => (a.name < b.name ? -1 : 1))) visit(n.name);
  return new QueueTree(nodes, bottomUp);
}

/** A Queue resource's spec as scheduler input (quantities parsed; errors name the field). */
export function queueInputFromSpec(name: string, spec: QueueSpec): QueueInput {
  const q: QueueInput = { name, nominal: amountsToVector(spec.nominalQuota, 'spec.nominalQuota') };
  if (spec.parent !== undefined) q.parent = spec.parent;
  if (spec.borrowingLimit) q.borrowingLimit = amountsToVector(spec.borrowingLimit, 'spec.borrowingLimit');
  if (spec.lendingLimit) q.lendingLimit = amountsToVector(spec.lendingLimit, 'spec.lendingLimit');
  if (spec.weight !== undefined) q.weight = spec.weight;
  return q;
}
