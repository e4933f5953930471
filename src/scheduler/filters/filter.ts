// A filter removes nodes that cannot host a replica. It works on a whole candidate list at once
// (one call per filter per replica, a tight loop inside) rather than one call per node, which
// keeps the per-node cost to a few typed-array reads on fleets of tens of thousands of nodes.
//
// Each filter also says what its answer depends on, so the cycle knows when to ask it, and whether
// evicting running work could change a "no" (kube-scheduler's unschedulable vs unresolvable):
//
//   reads      when it runs                                      examples
//   'static'   once per gang, per node class: the node's fixed   schedulable, site, GPU model
//              attributes (node-classes.ts groups nodes by them)
//   'state'    per replica, per class of nodes in the same       CPU, memory, GPU fit, isolation
//              state (free resources and tenant marks)
//   'node'     per replica, node by node (anything else)         a backfill reservation
import type { ReplicaShape } from '../request.js';
import type { Snapshot } from '../snapshot.js';
import type { RejectionReason } from '../types.js';

/** Free capacity as a filter's room() reads it: the snapshot's own arrays, or a copy a what-if changes. */
export type FreeCapacity = Pick<Snapshot, 'cpuFree' | 'memFree' | 'gpuFree' | 'fullFree' | 'gpuStart' | 'gpuNoPassthrough'>;

export interface Filter {
  readonly name: string;
  /** The reason recorded for every node this filter rejects. */
  readonly reason: RejectionReason;
  /** What the answer depends on (see above). */
  readonly reads: 'static' | 'state' | 'node';
  /**
   * 'node' filters: the only nodes whose answer may differ from the rest (every other node gets
   * one same answer), each with a tag; on them the answer depends only on the node's state and its
   * tag. While the node classes key nodes by these tags (node-classes.ts), the filter is asked per
   * class like a 'state' filter; absent, it is asked node by node.
   */
  readonly differsOn?: ReadonlyMap<number, string>;
  /** 'node' filters: true when, for this request, the filter keeps every node (it is then no reason to scan node by node). */
  keepsAll?(req: ReplicaShape): boolean;
  /** True when releasing running work can turn a rejection into a fit; false for hardware, placement rules, reservations. */
  readonly resolvable: boolean;
  /**
   * Keeps, in order, the feasible nodes of nodes[0..count) at the front of `nodes` and returns
   * how many remain.
   */
  filter(snap: Snapshot, req: ReplicaShape, nodes: Int32Array, count: number): number;
  /**
   * Capacity filters: how many replicas of `req` node n holds by this filter's resource alone, given
   * `free` (never fewer than the scheduler could place there; Infinity when it does not limit).
   * Preemption's bound and the empty-fleet check count room with it.
   */
  room?(free: FreeCapacity, req: ReplicaShape, n: number): number;
  /**
   * Why no node of nodes[0..count) could pass even empty, as one clause naming the request and the
   * best the fleet offers, e.g. "asks 16 GPUs per replica; the largest node has 8".
   */
  shortfall?(snap: Snapshot, req: ReplicaShape, nodes: Int32Array, count: number): string;
}
