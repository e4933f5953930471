// Heartbeats: each beat renews the node's heartbeat on the server (in place, no Node write) and
// merge-patches the Node's status only with what changed since it was last reported (live GPU
// utilisation, when it moved). Failures are logged once per outage and retried on the next beat;
// the node-lifecycle controller on the server decides when silence means NotReady.
import { patchNodeStatus, renewNodeHeartbeat } from '../client/agent-api.js';
import type { WeftClient } from '../client/client.js';
import type { Resource } from '../model/metadata.js';

export interface Heartbeat {
  stop(): void;
  /** True while the last beat reached the server. */
  connected(): boolean;
}

export function startHeartbeat(opts: {
  client: WeftClient;
  node: string;
  intervalMs: number;
  /** Status fields to report with this beat because they changed; {} (the usual case) for none. */
  changes: () => Promise<Record<string, unknown>>;
  /** Called once the server has the changes `changes` returned. */
  reported?: (changes: Record<string, unknown>) => void;
  log: (msg: string) => void;
}): Heartbeat {
  let ok = true;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const beat = async (): Promise<void> => {
    try {
      await renewNodeHeartbeat(opts.client, opts.node);
      const changes = await opts.changes();
      if (Object.keys(changes).length > 0) {
        await patchNodeStatus(opts.client, opts.node, changes);
        opts.reported?.(changes);
      }
      if (!ok) opts.log('server reachable again');
      ok = true;
    } catch (err) {
      if (ok) opts.log(`heartbeat failed (${(err as Error).message}); replicas keep running, retrying`);
      ok = false;
    }
    if (!stopped) timer = setTimeout(() => void beat(), opts.intervalMs);
  };
  timer = setTimeout(() => void beat(), opts.intervalMs);
  return {
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
    connected: () => ok,
  };
}

/**
 * Whether GPU utilisation moved enough to report: a GPU appeared or went, or one's value changed
 * by at least `points` percentage points. Utilisation jitters from one sample to the next; writing
 * each jitter would rewrite the Node every beat.
 */
export function utilizationMoved(prev: Record<string, number> | undefined, next: Record<string, number>, points: number): boolean {
  if (!prev) return true;
  const keys = new Set([...Object.keys(prev), ...Object.keys(next)]);
  for (const k of keys) {
    const a = prev[k];
    const b = next[k];
    if (a === undefined || b === undefined || Math.abs(a - b) >= points) return true;
  }
  return false;
}

export interface AllocationUtilization {
  project: string;
  name: string;
  gpuUtilization: number;
}

/**
 * The running allocations on `node` whose mean GPU utilisation (over their GPUs) should be written
 * beside their phase: those without one yet, and those whose mean moved by at least `points`, as
 * for the Node, so a busy node does not rewrite every allocation on every beat.
 */
export function allocationUtilizationUpdates(allocations: Iterable<Resource>, node: string, util: Record<string, number>, points: number): AllocationUtilization[] {
  const out: AllocationUtilization[] = [];
  for (const a of allocations) {
    const spec = a.spec as { node?: string; gpus?: { index: number }[] };
    if (spec.node !== node || a.status?.phase !== 'Running' || !spec.gpus?.length) continue;
    const values = spec.gpus.map((g) => util[String(g.index)]).filter((v): v is number => v !== undefined);
    if (values.length === 0) continue;
    const mean = Math.round(values.reduce((x, y) => x + y, 0) / values.length);
    const before = a.status?.gpuUtilization;
    if (typeof before === 'number' && Math.abs(before - mean) < points) continue;
    out.push({ project: a.metadata.project ?? '', name: a.metadata.name, gpuUtilization: mean });
  }
  return out;
}
