// The node-lifecycle controller (docs/lifecycle.md, "Node states"). It owns Node.status.state of
// nodes that report their own heartbeats (their provider says so: agent nodes) and acts for
// nodes that can no longer act for themselves:
//
//   Ready ──no heartbeat for notReadyAfter──▶ NotReady ──lostAfter more──▶ its allocations Lost
//     ▲                                          │ (workload controllers restart them elsewhere)
//     └──────────── heartbeat again ◀────────────┘
//   spec.unschedulable ──▶ Cordoned;  + drain annotation ──▶ Draining ──no active work──▶ Drained
//
// Draining asks every active allocation on the node to stop (reason "node <name> is draining");
// providers finish them as Stopped, which the workload controllers requeue without counting a
// failure. Nodes whose provider is their only witness (simulated ones) have their state kept by
// that provider, so only drain applies to them. A node's heartbeats are renewed apart from its
// Node (store.heartbeats), so a live fleet rewrites no Node; a registration's time in
// status.lastHeartbeatTime counts too. Time is the injected clock; each tick is one pass,
// idempotent.
import { setTimeout as delay } from 'node:timers/promises';
import type { Resource } from '../model/metadata.js';
import type { Store, StoreTx } from '../store/types.js';
import type { Clock } from './clock.js';
import type { Controller } from './control-plane.js';
import { recordEvent } from './events.js';
import { allocSpec, graceOf, isActive, requestStop, stopRequested } from './workloads/allocations.js';
import { DRAIN_ANNOTATION } from '../model/annotations.js';

export const DEFAULT_NOT_READY_AFTER_MS = 40_000;
export const DEFAULT_LOST_AFTER_MS = 60_000;

export type NodeState = 'Ready' | 'NotReady' | 'Cordoned' | 'Draining' | 'Drained';

/**
 * How the control plane knows a node is alive (its provider's answer, src/providers):
 * 'heartbeat': the node reports itself and this controller judges its silence; 'provider': its
 * provider keeps its status while it runs.
 */
export type NodeLiveness = 'heartbeat' | 'provider';

export interface NodeLifecycleOptions {
  store: Store;
  clock: Clock;
  /** Asks a node's provider how its liveness is known; undefined: no provider serves it (its state is left alone). */
  livenessOf: (node: Resource) => NodeLiveness | undefined;
  /** A heartbeat older than this makes the node NotReady (default 40 s). */
  notReadyAfterMs?: number;
  /** How long a node stays NotReady before its allocations are Lost (default 60 s). */
  lostAfterMs?: number;
  /** Pause between passes (default a quarter of notReadyAfter, 250 ms to 5 s). */
  intervalMs?: number;
  log?: (msg: string) => void;
}

export interface NodeStatus {
  state?: string;
  lastHeartbeatTime?: string;
  /** When the node entered its current state (set by this controller). */
  stateSince?: string;
  message?: string;
  [key: string]: unknown;
}

function time(iso: unknown): number | undefined {
  if (typeof iso !== 'string') return undefined;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? undefined : t;
}

export function drainRequested(n: Resource): boolean {
  return (n.spec as { unschedulable?: boolean }).unschedulable === true && n.metadata.annotations?.[DRAIN_ANNOTATION] !== undefined;
}

export class NodeLifecycleController implements Controller {
  readonly notReadyAfterMs: number;
  readonly lostAfterMs: number;
  private readonly intervalMs: number;
  private readonly log: (msg: string) => void;
  /**
   * Heartbeats are judged from here at the earliest: a restarted server, or one that has just
   * taken over as leader, gives every node a fresh grace rather than declaring at once each one
   * whose heartbeat it finds old (the control plane itself may have been away), as
   * kube-controller-manager does.
   */
  private since: number;
  /** Each node's latest heartbeat as of this pass (store.heartbeats; renewed outside the Node). */
  private beats = new Map<string, string>();

  constructor(private readonly opts: NodeLifecycleOptions) {
    this.notReadyAfterMs = opts.notReadyAfterMs ?? DEFAULT_NOT_READY_AFTER_MS;
    this.lostAfterMs = opts.lostAfterMs ?? DEFAULT_LOST_AFTER_MS;
    this.intervalMs = opts.intervalMs ?? Math.min(5000, Math.max(250, Math.floor(this.notReadyAfterMs / 4)));
    this.log = opts.log ?? (() => undefined);
    this.since = opts.clock.now().getTime();
  }

  async start(signal: AbortSignal): Promise<void> {
    this.since = this.opts.clock.now().getTime();
    while (!signal.aborted) {
      try {
        await this.tick();
      } catch (e) {
        if (!signal.aborted) this.log(`node lifecycle: ${(e as Error).message}`);
      }
      // Rejects on abort, and removes its abort listener either way (a listener added per tick
      // and never removed would pile up for as long as the server runs).
      await delay(this.intervalMs, undefined, { signal }).catch(() => undefined);
    }
  }

  /** Whether this controller judges the node by its heartbeats. */
  private heartbeats(n: Resource): boolean {
    return this.opts.livenessOf(n) === 'heartbeat';
  }

  /** The state a heartbeating node should be in now, from its heartbeat and what operators asked for. */
  stateOf(n: Resource, now: number, activeCount: number): NodeState {
    const beat = Math.max(this.lastHeartbeat(n) ?? -Infinity, this.since);
    if (now - beat > this.notReadyAfterMs) return 'NotReady';
    if (drainRequested(n)) return activeCount > 0 ? 'Draining' : 'Drained';
    if ((n.spec as { unschedulable?: boolean }).unschedulable === true) return 'Cordoned';
    return 'Ready';
  }

  /** The node's latest heartbeat: its renewed one, or the time in its status (registration). */
  private lastHeartbeat(n: Resource): number | undefined {
    const renewed = time(this.beats.get(n.metadata.name));
    const reported = time(n.status?.lastHeartbeatTime);
    return renewed === undefined ? reported : Math.max(renewed, reported ?? -Infinity);
  }

  /** One pass over every node; returns how many objects it wrote. */
  async tick(): Promise<number> {
    const { store } = this.opts;
    const t = this.opts.clock.now().getTime();
    const nodes = (await store.list('Node')).items;
    this.beats = await store.heartbeats.list();
    // Allocations matter only on nodes being drained or gone silent; most passes read none.
    const watched = nodes.filter((n) => drainRequested(n) || (this.heartbeats(n) && this.stateOf(n, t, 0) === 'NotReady'));
    const byNode = new Map<string, Resource[]>();
    if (watched.length > 0) {
      const names = watched.map((n) => n.metadata.name);
      const allocs = (await store.list('Allocation', { labelSelector: `weft.dev/node in (${names.join(',')})` })).items.filter(isActive);
      for (const a of allocs) byNode.set(allocSpec(a).node, [...(byNode.get(allocSpec(a).node) ?? []), a]);
    }
    let writes = 0;
    for (const n of nodes) {
      const onNode = byNode.get(n.metadata.name) ?? [];
      const st = (n.status ?? {}) as NodeStatus;
      const toStop = drainRequested(n) && onNode.some((a) => !stopRequested(a));
      const state = this.heartbeats(n) ? this.stateOf(n, t, onNode.length) : undefined;
      const lostDue = state === 'NotReady' && st.state === 'NotReady' && onNode.length > 0 && t - (time(st.stateSince) ?? t) >= this.lostAfterMs;
      if (!toStop && !lostDue && (state === undefined || state === st.state)) continue;
      writes += await store.transaction((tx) => this.reconcileNode(tx, n.metadata.name));
    }
    return writes;
  }

  private async reconcileNode(tx: StoreTx, name: string): Promise<number> {
    const now = this.opts.clock.now();
    const t = now.getTime();
    const node = await tx.get({ kind: 'Node', name });
    if (!node) return 0;
    const active = (await tx.list('Allocation', { labelSelector: `weft.dev/node=${name}` })).items.filter((a) => isActive(a) && allocSpec(a).node === name);
    let writes = 0;

    if (drainRequested(node)) {
      const reason = `node ${name} is draining`;
      for (const a of active) {
        if (stopRequested(a)) continue;
        const w = allocSpec(a).workload;
        const owner = await tx.get({ kind: w.kind, project: a.metadata.project ?? '', name: w.name });
        if (await requestStop(tx, a, reason, now, graceOf(owner))) writes++;
      }
    }
    if (!this.heartbeats(node)) return writes;

    const st = (node.status ?? {}) as NodeStatus;
    const state = this.stateOf(node, t, active.length);
    if (state === 'NotReady') {
      const since = time(st.stateSince) ?? t;
      if (st.state === 'NotReady' && t - since >= this.lostAfterMs) writes += await this.loseAll(tx, node, active, now);
    }
    if (st.state !== state) {
      const message = this.describe(state, node);
      // The Node records its latest heartbeat with each change of state, so its own history shows it.
      const lastHeartbeatTime = this.lastHeartbeatText(node);
      const status = { ...st, ...(lastHeartbeatTime ? { lastHeartbeatTime } : {}), state, stateSince: now.toISOString(), message };
      await tx.update({ ...node, status }, { resourceVersion: node.metadata.resourceVersion });
      const warn = state === 'NotReady';
      await recordEvent(tx, node, { type: warn ? 'Warning' : 'Normal', reason: `Node${state}`, message, source: 'node-lifecycle' }, now);
      this.log(`node lifecycle: ${name} ${st.state ?? '(new)'} → ${state}`);
      writes++;
    }
    return writes;
  }

  private describe(state: NodeState, node: Resource): string {
    const name = node.metadata.name;
    switch (state) {
      case 'NotReady':
        return `node ${name} has not sent a heartbeat since ${this.lastHeartbeatText(node) ?? 'it registered'} (limit ${Math.round(this.notReadyAfterMs / 1000)} s)`;
      case 'Draining':
        return `node ${name} is draining: its replicas are being stopped and rescheduled`;
      case 'Drained':
        return `node ${name} is drained: nothing runs on it and nothing will be placed there`;
      case 'Cordoned':
        return `node ${name} is cordoned: running work stays, nothing new is placed`;
      default:
        return `node ${name} is ready`;
    }
  }

  private lastHeartbeatText(node: Resource): string | undefined {
    const t = this.lastHeartbeat(node);
    return t === undefined ? undefined : new Date(t).toISOString();
  }

  /** Marks every active allocation of a long-silent node Lost: its workload restarts it elsewhere. */
  private async loseAll(tx: StoreTx, node: Resource, active: readonly Resource[], now: Date): Promise<number> {
    const message = `node ${node.metadata.name} stopped responding (NotReady for more than ${Math.round(this.lostAfterMs / 1000)} s)`;
    for (const a of active) {
      await tx.update({ ...a, status: { ...(a.status ?? {}), phase: 'Lost', finishedAt: now.toISOString(), message } }, { resourceVersion: a.metadata.resourceVersion });
      await recordEvent(tx, a, { type: 'Warning', reason: 'Lost', message, source: 'node-lifecycle' }, now);
    }
    if (active.length > 0) this.log(`node lifecycle: ${active.length} allocation(s) on ${node.metadata.name} lost`);
    return active.length;
  }
}
