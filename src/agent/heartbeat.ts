// Heartbeats: the agent merge-patches lastHeartbeatTime (and live GPU utilisation) onto its
// Node's status. Failures are logged once per outage and retried on the next beat; the
// node-lifecycle controller on the server decides when silence means NotReady.
import { patchNodeStatus } from '../client/agent-api.js';
import type { WeftClient } from '../client/client.js';

export interface Heartbeat {
  stop(): void;
  /** True while the last beat reached the server. */
  connected(): boolean;
}

export function startHeartbeat(opts: {
  client: WeftClient;
  node: string;
  intervalMs: number;
  extra: () => Promise<Record<string, unknown>>;
  log: (msg: string) => void;
}): Heartbeat {
  let ok = true;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const beat = async (): Promise<void> => {
    try {
      await patchNodeStatus(opts.client, opts.node, { ...(await opts.extra()), lastHeartbeatTime: new Date().toISOString() });
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
