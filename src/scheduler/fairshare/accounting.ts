// Fair-share accounting over a QueueTree (the maths; the structure is in tree.ts). Per resource
// key, for a queue q with nominal N, lending limit L and borrowing limit B:
//
//   subtreeQuota(q) = N(q) + Σ children c: subtreeQuota(c) − guaranteed(c)     what q pools
//   guaranteed(q)   = L given ? max(0, subtreeQuota(q) − L) : 0                 never lent out
//   poolUsage(q)    = own usage + Σ children c: max(0, poolUsage(c) − guaranteed(c))
//   available(root) = subtreeQuota − poolUsage
//   available(q)    = max(0, guaranteed − poolUsage)                            its own reserve
//                   + min(available(parent),                                    what the tree has
//                         subtreeQuota − guaranteed − max(0, poolUsage − guaranteed) + B)  its cap
//
// So idle quota flows to siblings (through the parent's pool) except the part a lending limit
// keeps back, and a queue never holds more than its nominal plus its borrowing limit. A key no
// queue of the tree names is not governed by it (unlimited). Everything is integer.
import { addInto, type ResourceVector } from './resources.js';
import type { QueueTree } from './tree.js';

type Memo = Map<string, number>;
const memoKey = (q: string, k: string): string => `${q}\u0000${k}`;

function memo(m: Memo, q: string, k: string, f: () => number): number {
  const key = memoKey(q, k);
  let v = m.get(key);
  if (v === undefined) m.set(key, (v = f()));
  return v;
}

export class QueueUsage {
  /** What gangs of each queue hold directly (not counting its children). */
  private readonly own: Map<string, ResourceVector>;
  /** Quota-only figures (depend on the tree alone); shared by clones. */
  private readonly fixed: { subtree: Memo; guaranteed: Memo; nominalSum: Memo };
  private pool: Memo = new Map();
  private full: Memo = new Map();

  constructor(
    readonly tree: QueueTree,
    own?: ReadonlyMap<string, ResourceVector>,
    fixed?: QueueUsage['fixed'],
  ) {
    this.own = new Map([...(own ?? new Map<string, ResourceVector>())].map(([q, v]) => [q, { ...v }]));
    this.fixed = fixed ?? { subtree: new Map(), guaranteed: new Map(), nominalSum: new Map() };
  }

  /** An independent copy (for what-ifs such as preemption planning). */
  clone(): QueueUsage {
    return new QueueUsage(this.tree, this.own, this.fixed);
  }

  /** Adds what a gang of `queue` now holds. */
  charge(queue: string, v: ResourceVector): void {
    this.tree.get(queue);
    const cur = this.own.get(queue) ?? {};
    addInto(cur, v);
    this.own.set(queue, cur);
    this.pool = new Map();
    this.full = new Map();
  }

  /** Takes back what a gang of `queue` held. */
  release(queue: string, v: ResourceVector): void {
    this.charge(queue, Object.fromEntries(Object.entries(v).map(([k, n]) => [k, -n])));
  }

  subtreeQuota(q: string, k: string): number {
    return memo(this.fixed.subtree, q, k, () => {
      const n = this.tree.get(q);
      let s = n.nominal[k] ?? 0;
      for (const c of n.children) s += this.subtreeQuota(c, k) - this.guaranteed(c, k);
      return s;
    });
  }

  guaranteed(q: string, k: string): number {
    return memo(this.fixed.guaranteed, q, k, () => {
      const lend = this.tree.get(q).lendingLimit?.[k];
      return lend === undefined ? 0 : Math.max(0, this.subtreeQuota(q, k) - lend);
    });
  }

  /** Sum of the nominal quotas of the queue and everything below it. */
  nominalSum(q: string, k: string): number {
    return memo(this.fixed.nominalSum, q, k, () => {
      const n = this.tree.get(q);
      return (n.nominal[k] ?? 0) + n.children.reduce((s, c) => s + this.nominalSum(c, k), 0);
    });
  }

  /** Usage as the queue's pool sees it: children count only beyond what they keep back. */
  poolUsage(q: string, k: string): number {
    return memo(this.pool, q, k, () => {
      const n = this.tree.get(q);
      let s = this.own.get(q)?.[k] ?? 0;
      for (const c of n.children) s += Math.max(0, this.poolUsage(c, k) - this.guaranteed(c, k));
      return s;
    });
  }

  /** Everything gangs of the queue and its descendants hold. */
  usage(q: string, k: string): number {
    return memo(this.full, q, k, () => {
      const n = this.tree.get(q);
      return (this.own.get(q)?.[k] ?? 0) + n.children.reduce((s, c) => s + this.usage(c, k), 0);
    });
  }

  /** How much more of `k` a gang of `q` may take now (Infinity when the tree does not govern k). */
  available(q: string, k: string): number {
    if (!this.tree.governedKeys(q).has(k)) return Infinity;
    return this.availableIn(q, k);
  }

  private availableIn(q: string, k: string): number {
    const n = this.tree.get(q);
    const sub = this.subtreeQuota(q, k);
    const used = this.poolUsage(q, k);
    if (n.parent === undefined) return sub - used;
    const g = this.guaranteed(q, k);
    const local = Math.max(0, g - used);
    let fromParent = this.availableIn(n.parent, k);
    const borrow = n.borrowingLimit?.[k];
    if (borrow !== undefined) fromParent = Math.min(fromParent, sub - g - Math.max(0, used - g) + borrow);
    return local + fromParent;
  }

  /** Whether `v` more fits in `q` on every key its tree governs. */
  fits(q: string, v: ResourceVector): boolean {
    for (const [k, n] of Object.entries(v)) if (n > 0 && n > this.available(q, k)) return false;
    return true;
  }

  /** How many units of `per` fit in `q` now (Infinity when nothing in `per` is governed). */
  maxUnits(q: string, per: ResourceVector): number {
    let m = Infinity;
    for (const [k, n] of Object.entries(per)) if (n > 0) m = Math.min(m, Math.floor(Math.max(0, this.available(q, k)) / n));
    return m;
  }

  /** Whether `q` holding `extra` more stays within its own nominal (subtree sum) on the keys of `extra`. */
  withinNominal(q: string, extra: ResourceVector): boolean {
    const keys = this.tree.governedKeys(q);
    for (const [k, n] of Object.entries(extra)) if (n > 0 && keys.has(k) && this.usage(q, k) + n > this.nominalSum(q, k)) return false;
    return true;
  }

  /** Usage beyond the queue's own nominal (its subtree's), per governed key. */
  borrowed(q: string): ResourceVector {
    const out: ResourceVector = {};
    for (const k of this.tree.governedKeys(q)) {
      const b = this.usage(q, k) - this.nominalSum(q, k);
      if (b > 0) out[k] = b;
    }
    return out;
  }

  /**
   * Idle quota of `q` its siblings are using now, per key: its lendable idle quota, scaled down
   * when the siblings' borrowing is smaller than what all of them could lend (an estimate for
   * status; the admission maths above do not depend on attributing loans).
   */
  lent(q: string): ResourceVector {
    const out: ResourceVector = {};
    const parent = this.tree.get(q).parent;
    if (parent === undefined) return out;
    const siblings = this.tree.get(parent).children;
    for (const k of this.tree.governedKeys(q)) {
      const lendable = (s: string): number => {
        const idle = Math.max(0, this.nominalSum(s, k) - this.usage(s, k));
        const cap = this.tree.get(s).lendingLimit?.[k];
        return cap === undefined ? idle : Math.min(idle, cap);
      };
      const mine = lendable(q);
      if (mine === 0) continue;
      const offered = siblings.reduce((s, c) => s + lendable(c), 0);
      const taken = siblings.reduce((s, c) => s + Math.max(0, this.usage(c, k) - this.nominalSum(c, k)), 0);
      const n = Math.floor((mine * Math.min(offered, taken)) / offered);
      if (n > 0) out[k] = n;
    }
    return out;
  }

  /**
   * Weighted dominant share: the largest fraction of its tree's total quota the queue holds on
   * any governed key, divided by its weight. Lower goes first.
   */
  dominantShare(q: string): number {
    const n = this.tree.get(q);
    let share = 0;
    for (const k of this.tree.governedKeys(q)) {
      const total = this.nominalSum(n.root, k);
      if (total > 0) share = Math.max(share, this.usage(q, k) / total);
    }
    return share / n.weight;
  }

  /** What gangs of `q` itself hold (a copy). */
  ownUsage(q: string): ResourceVector {
    return { ...(this.own.get(q) ?? {}) };
  }
}
