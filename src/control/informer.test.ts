// The informer on a real embedded store: the first list, then every change once with what it
// replaces; resuming after a stop; listing again after a 410 and delivering only differences;
// selectors, several kinds, transforms and resync.
import { afterEach, describe, expect, it } from 'vitest';
import type { Resource, ResourceInput } from '../model/metadata.js';
import { openStore } from '../store/index.js';
import type { Store } from '../store/types.js';
import { Informer, type InformerEvent, type InformerOptions } from './informer.js';

const P = 'p';
const job = (name: string, labels: Record<string, string> = {}): ResourceInput => ({
  apiVersion: 'weft/v1',
  kind: 'Job',
  metadata: { name, project: P, labels },
  spec: { replicas: 1, resources: { gpu: { count: 1 } } },
});
const node = (name: string): ResourceInput => ({ apiVersion: 'weft/v1', kind: 'Node', metadata: { name }, spec: { cpu: '8', memory: '64Gi' } });

let store: Store;
const runs: AbortController[] = [];
afterEach(async () => {
  for (const r of runs.splice(0)) r.abort();
  await store?.close();
});

/** Starts an informer recording "TYPE name[ initial]" per event; `events` is what it has delivered. */
function follow<T = Resource>(opts: Omit<InformerOptions<T>, 'store' | 'onEvent'>) {
  const events: InformerEvent<T>[] = [];
  const informer = new Informer<T>({ store, ...opts, onEvent: (e) => events.push(e) });
  const start = (): Promise<void> => {
    const ac = new AbortController();
    runs.push(ac);
    const done = informer.run(ac.signal);
    return Object.assign(done, { stop: () => ac.abort() });
  };
  let running = start() as Promise<void> & { stop?: () => void };
  return {
    informer,
    events,
    names: () => events.map((e) => `${e.type} ${e.object.metadata.name}${e.initial ? ' initial' : ''}`),
    async stop() {
      runs.at(-1)!.abort();
      await running;
    },
    restart() {
      running = start();
    },
  };
}

async function until(what: string, ok: () => boolean, ms = 5000): Promise<void> {
  const end = performance.now() + ms;
  while (!ok()) {
    if (performance.now() > end) throw new Error(`not reached in time: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('informer', () => {
  it('delivers the first list as initial, then each change once with the value it replaces', async () => {
    store = await openStore();
    await store.create(job('a'));
    await store.create(job('b'));
    const f = follow({ sources: [{ kind: 'Job' }] });
    await f.informer.synced;
    expect(f.names()).toEqual(['ADDED a initial', 'ADDED b initial']);
    const a = (await store.get({ kind: 'Job', project: P, name: 'a' }))!;
    const a2 = await store.update({ ...a, metadata: { ...a.metadata, labels: { x: '1' } } });
    await store.delete({ kind: 'Job', project: P, name: 'b' });
    await store.create(job('c'));
    await until('three changes', () => f.events.length === 5);
    expect(f.names().slice(2)).toEqual(['MODIFIED a', 'DELETED b', 'ADDED c']);
    expect(f.events[2]!.previous).toEqual(a);
    expect(f.events[2]!.value).toEqual(a2);
    expect(f.informer.get('Job', P, 'a')).toEqual(a2);
    expect([...f.informer.values()].map((o) => o.metadata.name)).toEqual(['a', 'c']);
  });

  it('stopped and run again resumes its watch; after a 410 it lists again and delivers only the differences', async () => {
    store = await openStore();
    for (const n of ['keep', 'change', 'drop']) await store.create(job(n));
    const f = follow({ sources: [{ kind: 'Job' }] });
    await f.informer.synced;
    await f.stop();

    // Resumed: every change arrives, in order, through the watch.
    const bump = async (name: string): Promise<void> => {
      const o = (await store.get({ kind: 'Job', project: P, name }))!;
      await store.update({ ...o, metadata: { ...o.metadata, labels: { n: String(Number(o.metadata.labels?.n ?? 0) + 1) } } });
    };
    await bump('change');
    await bump('change');
    f.restart();
    await until('two changes', () => f.events.length === 5);
    expect(f.names().slice(3)).toEqual(['MODIFIED change', 'MODIFIED change']);
    await f.stop();

    // The change log is compacted past where it stopped: the watch answers 410, it lists again.
    await bump('change');
    await bump('change');
    await store.delete({ kind: 'Job', project: P, name: 'drop' });
    await store.create(job('new'));
    await store.compact(0);
    f.restart();
    await until('the differences', () => f.events.length === 8);
    expect(f.names().slice(5).sort()).toEqual(['ADDED new', 'DELETED drop', 'MODIFIED change']);
    expect(f.events.slice(5).find((e) => e.type === 'MODIFIED')!.value.metadata.labels).toEqual({ n: '4' });
    expect([...f.informer.values()].map((o) => o.metadata.name).sort()).toEqual(['change', 'keep', 'new']);
    // And it follows on from the list.
    await store.create(job('after'));
    await until('the next change', () => f.events.length === 9);
    expect(f.names()[8]).toBe('ADDED after');
  });

  it('follows several kinds on one watch, each narrowed by its selector', async () => {
    store = await openStore();
    await store.create(job('red', { colour: 'red' }));
    await store.create(job('blue', { colour: 'blue' }));
    await store.create(node('n1'));
    const f = follow({ sources: [{ kind: 'Job', labelSelector: 'colour=red' }, { kind: 'Node' }] });
    await f.informer.synced;
    expect(f.names().sort()).toEqual(['ADDED n1 initial', 'ADDED red initial']);
    // A label change in or out of the selector is an arrival or a departure.
    const blue = (await store.get({ kind: 'Job', project: P, name: 'blue' }))!;
    await store.update({ ...blue, metadata: { ...blue.metadata, labels: { colour: 'red' } } });
    const red = (await store.get({ kind: 'Job', project: P, name: 'red' }))!;
    await store.update({ ...red, metadata: { ...red.metadata, labels: { colour: 'green' } } });
    await store.create(node('n2'));
    await store.create({ apiVersion: 'weft/v1', kind: 'Site', metadata: { name: 's' }, spec: {} });
    await until('three changes', () => f.events.length === 5);
    expect(f.names().slice(2)).toEqual(['ADDED blue', 'DELETED red', 'ADDED n2']);
    expect([...f.informer.values('Node')].map((o) => o.metadata.name)).toEqual(['n1', 'n2']);
  });

  it('keeps only what a transform returns, and re-delivers every value on resync', async () => {
    store = await openStore();
    await store.create(job('small'));
    await store.create(job('tagged', { keep: 'yes' }));
    const f = follow<string>({ sources: [{ kind: 'Job' }], transform: (o) => o.metadata.labels?.keep, resyncMs: 30 });
    await f.informer.synced;
    expect(f.names()).toEqual(['ADDED tagged initial']);
    expect(f.informer.get('Job', P, 'tagged')).toBe('yes');
    await until('two resyncs', () => f.events.filter((e) => e.type === 'SYNC').length >= 2);
    expect(new Set(f.events.filter((e) => e.type === 'SYNC').map((e) => `${e.object.metadata.name}=${e.value}`))).toEqual(new Set(['tagged=yes']));
  });

  it('started from a version, delivers only what changed after it', async () => {
    store = await openStore();
    const before = await store.create(job('before'));
    const f = follow({ sources: [{ kind: 'Job' }], resourceVersion: before.metadata.resourceVersion });
    await f.informer.synced;
    await store.delete({ kind: 'Job', project: P, name: 'before' });
    await store.create(job('after'));
    await until('two changes', () => f.events.length === 2);
    // It never saw "before": its deletion comes with no previous value.
    expect(f.names()).toEqual(['DELETED before', 'ADDED after']);
    expect(f.events[0]!.previous).toBeUndefined();
  });

  it('ends with the error of a handler that throws', async () => {
    store = await openStore();
    await store.create(job('a'));
    const informer = new Informer({
      store,
      sources: [{ kind: 'Job' }],
      onEvent: () => {
        throw new Error('handler bug');
      },
    });
    await expect(informer.run(new AbortController().signal)).rejects.toThrow('handler bug');
  });

  it('caughtUp waits until the cache has seen what was committed before', async () => {
    store = await openStore();
    const f = follow({ sources: [{ kind: 'Job' }, { kind: 'Node' }] });
    await f.informer.synced;
    await store.create(job('x'));
    await f.informer.caughtUp();
    expect(f.informer.get('Job', P, 'x')).toBeDefined();
  });

  it('several kinds listed at different versions: synced and the handler wait until the watch makes them one version', async () => {
    store = await openStore();
    await store.create({ apiVersion: 'weft/v1', kind: 'Project', metadata: { name: P }, spec: {} });
    // Between the Project list and the Job list, the Project is restricted and then a Job is made:
    // the Job's list is newer than the Project's.
    const racing: Store = Object.create(store, {
      list: {
        value: async (kind: string, opts?: object) => {
          const out = await store.list(kind, opts);
          if (kind === 'Project') {
            const p = (await store.get({ kind: 'Project', name: P }))!;
            await store.update({ ...p, spec: { dataClass: 'restricted' } });
            await store.create(job('train'));
          }
          return out;
        },
      },
    });
    const projects = new Map<string, unknown>();
    const jobs = new Set<string>();
    /** What the handler's picture said each time it had a Job: the Project's data class then. */
    const seenWithJob: unknown[] = [];
    const informer = new Informer({
      store: racing,
      sources: [{ kind: 'Project' }, { kind: 'Job' }],
      onEvent: (e) => {
        if (e.object.kind === 'Project') projects.set(e.object.metadata.name, (e.object.spec as { dataClass?: string }).dataClass);
        else if (e.type === 'DELETED') jobs.delete(e.object.metadata.name);
        else jobs.add(e.object.metadata.name);
      },
    });
    const ac = new AbortController();
    runs.push(ac);
    const running = informer.run(ac.signal);
    await informer.synced;
    seenWithJob.push(jobs.has('train') ? projects.get(P) : 'no job');
    expect(seenWithJob).toEqual(['restricted']);
    expect((informer.get('Project', undefined, P)!.spec as { dataClass?: string }).dataClass).toBe('restricted');
    // Later changes flow as before.
    await store.create(job('next'));
    await until('next delivered', () => jobs.has('next'));
    ac.abort();
    await running;
  });
});
