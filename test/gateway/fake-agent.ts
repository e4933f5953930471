// A stand-in for the node agent in gateway tests: follows the store's Service Allocations, starts a
// local replica server for each new one and reports it Running with status.endpoint, and on a stop
// request closes the server and reports it Stopped — the agent's side of contract B, in-process.
import { GoneError } from '../../src/model/errors.js';
import type { Resource } from '../../src/model/metadata.js';
import type { Store } from '../../src/store/types.js';
import { patchStatus, startReplica, type FakeReplica } from './helpers.js';

export interface FakeAgent {
  /** Replica servers by allocation name (stopped ones included). */
  replicas: Map<string, FakeReplica>;
  stop(): Promise<void>;
}

export async function startFakeAgent(store: Store, opts: { delayMs?: number } = {}): Promise<FakeAgent> {
  const replicas = new Map<string, FakeReplica>();
  const busy = new Map<string, Promise<void>>();
  const abort = new AbortController();

  const handle = async (a: Resource): Promise<void> => {
    const project = a.metadata.project ?? '';
    const name = a.metadata.name;
    const phase = a.status?.phase ?? 'Bound';
    if (phase === 'Bound' && !a.status?.stopRequested && !replicas.has(name)) {
      const r = await startReplica(name, { delayMs: opts.delayMs });
      replicas.set(name, r);
      await patchStatus(store, project, name, { phase: 'Running', startedAt: new Date().toISOString(), endpoint: r.url });
    } else if ((phase === 'Running' || phase === 'Bound') && a.status?.stopRequested) {
      await replicas.get(name)?.close();
      await patchStatus(store, project, name, { phase: 'Stopped', finishedAt: new Date().toISOString() });
    }
  };
  // One allocation at a time, in the order its changes arrive.
  const enqueue = (a: Resource): void => {
    const prev = busy.get(a.metadata.name) ?? Promise.resolve();
    busy.set(a.metadata.name, prev.then(() => handle(a)).catch(() => undefined));
  };

  const list = await store.list('Allocation', { labelSelector: 'weft.dev/workload-kind=Service' });
  list.items.forEach(enqueue);
  const loop = (async () => {
    try {
      for await (const ev of store.watch({ kind: 'Allocation', resourceVersion: list.resourceVersion, signal: abort.signal })) {
        if (ev.type !== 'DELETED') enqueue(ev.object);
      }
    } catch (err) {
      if (!abort.signal.aborted && !(err instanceof GoneError)) throw err;
    }
  })();

  return {
    replicas,
    async stop() {
      abort.abort();
      await loop.catch(() => undefined);
      await Promise.allSettled([...busy.values()]);
      await Promise.all([...replicas.values()].map((r) => r.close()));
    },
  };
}
