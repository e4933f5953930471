// The client's watch against a real server and store (in-process): it resumes after the server
// restarts without missing or repeating a change, and relists when its version was compacted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBootstrapAdmin } from '../../src/api/auth.js';
import { startServer, type RunningServer } from '../../src/api/server.js';
import { WeftApiError, WeftClient, watchSummary, type FleetSummary, type WatchMessage } from '../../src/client/index.js';
import type { ResourceInput } from '../../src/model/metadata.js';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';

const site = (name: string): ResourceInput => ({ apiVersion: 'weft/v1', kind: 'Site', metadata: { name }, spec: { country: 'DE' } });

/** The next message, or a failure after `ms` instead of hanging the test. */
async function next(it: AsyncIterator<WatchMessage>, ms = 15_000): Promise<WatchMessage> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(new Error(`no watch event within ${ms} ms`)), ms);
  });
  try {
    const r = await Promise.race([it.next(), timeout]);
    if (r.done) throw new Error('watch ended');
    return r.value;
  } finally {
    clearTimeout(timer);
  }
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const nameOf = (m: WatchMessage): string => (m.type === 'SYNC' ? `SYNC:${m.objects.map((o) => o.metadata.name).join(',')}` : `${m.type}:${m.object.metadata.name}`);

describe('WeftClient against a live server', () => {
  let store: Store;
  let server: RunningServer;
  let client: WeftClient;
  let port: number;
  beforeAll(async () => {
    store = await openStore({});
    const { token } = await ensureBootstrapAdmin(store);
    server = await startServer({ store, port: 0, host: '127.0.0.1' });
    port = Number(new URL(server.url).port);
    client = new WeftClient({ server: server.url, token });
  });
  afterAll(async () => {
    await server?.close();
    await store?.close();
  });

  it('applies idempotently and surfaces problem details', async () => {
    expect((await client.apply(site('a'))).action).toBe('created');
    const again = await client.apply(site('a'));
    expect(again.action).toBe('unchanged');
    const changed = await client.apply({ ...site('a'), spec: { country: 'NL' } });
    expect(changed.action).toBe('configured');
    expect(Number(changed.object.metadata.resourceVersion)).toBeGreaterThan(Number(again.object.metadata.resourceVersion));

    const err = await client.create({ ...site('b'), spec: { country: 'germany' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WeftApiError);
    expect((err as WeftApiError).status).toBe(422);
    expect((err as WeftApiError).issues.map((i) => i.field)).toEqual(['spec.country']);
  });

  it('pages through lists', async () => {
    for (const n of ['p1', 'p2', 'p3']) await client.create(site(n));
    const page = await client.list('sites', { limit: 2 });
    expect(page.items).toHaveLength(2);
    expect(page.continue).toBeTruthy();
    const all = await client.list('sites', { limit: 2, autoPaginate: true });
    expect(all.items.map((s) => s.metadata.name).sort()).toEqual(['a', 'p1', 'p2', 'p3']);
  });

  it('lists newest first, page by page, with order sent on every page', async () => {
    // Created in name order, each in a later millisecond: newest first is the reverse.
    for (const n of ['o1', 'o2', 'o3', 'o4', 'o5']) {
      await client.create(site(n));
      await new Promise((r) => setTimeout(r, 5));
    }
    const first = await client.list('sites', { order: 'newest', limit: 2 });
    expect(first.items.map((s) => s.metadata.name)).toEqual(['o5', 'o4']);
    expect(first.continue).toBeTruthy();
    // A later page without order=newest would be refused: the token belongs to that order.
    const all = await client.list('sites', { order: 'newest', autoPaginate: true, limit: 2 });
    const names = all.items.map((s) => s.metadata.name);
    expect(names.slice(0, 5)).toEqual(['o5', 'o4', 'o3', 'o2', 'o1']);
    const byName = (await client.list('sites')).items;
    const want = [...byName]
      .sort((a, b) => cmp(b.metadata.creationTimestamp ?? '', a.metadata.creationTimestamp ?? '') || cmp(a.metadata.name, b.metadata.name))
      .map((s) => s.metadata.name);
    expect(names).toEqual(want);
  });

  it('lists and watches one object by name with fieldSelector: a SYNC of it alone, then only its changes', async () => {
    for (const n of ['fs-a', 'fs-b', 'fs-a-2']) await client.create(site(n));
    const selector = 'metadata.name=fs-a';
    expect((await client.list('sites', { fieldSelector: selector })).items.map((s) => s.metadata.name)).toEqual(['fs-a']);
    // Every page carries it: with a page size of 1 there is one page, not one per Site.
    expect((await client.list('sites', { fieldSelector: selector, limit: 1, autoPaginate: true })).items.map((s) => s.metadata.name)).toEqual(['fs-a']);
    const stop = new AbortController();
    const watch = client.watch('sites', { fieldSelector: selector, signal: stop.signal });
    try {
      expect(nameOf(await next(watch))).toBe('SYNC:fs-a');
      await client.patch('sites', 'fs-b', { spec: { country: 'NL' } });
      await client.patch('sites', 'fs-a-2', { spec: { country: 'NL' } });
      await client.patch('sites', 'fs-a', { spec: { country: 'FR' } });
      await client.delete('sites', 'fs-b');
      await client.delete('sites', 'fs-a');
      const modified = await next(watch);
      expect(nameOf(modified)).toBe('MODIFIED:fs-a');
      expect(modified.type !== 'SYNC' && modified.object.spec.country).toBe('FR');
      expect(nameOf(await next(watch))).toBe('DELETED:fs-a');
      await client.create(site('fs-c'));
      await client.create(site('fs-a'));
      expect(nameOf(await next(watch))).toBe('ADDED:fs-a');
    } finally {
      stop.abort();
    }
    // After a compaction the relist is narrowed too: its SYNC holds that object alone.
    const old = (await client.list('sites')).resourceVersion;
    await client.patch('sites', 'fs-a-2', { spec: { country: 'BE' } });
    await store.compact(0);
    const relisted = client.watch('sites', { fieldSelector: selector, resourceVersion: old });
    try {
      expect(nameOf(await next(relisted))).toBe('SYNC:fs-a');
    } finally {
      await relisted.return(undefined);
    }
  });

  it('resumes across a server restart without missing or repeating a change', async () => {
    const stop = new AbortController();
    const watch = client.watch('sites', { signal: stop.signal, maxBackoffMs: 200 });
    const first = await next(watch);
    expect(first.type).toBe('SYNC');
    await client.create(site('w1'));
    expect(nameOf(await next(watch))).toBe('ADDED:w1');

    await server.close();
    // Written while no server is up: the watch must still deliver it once it reconnects.
    await store.create(site('w2'));
    server = await startServer({ store, port, host: '127.0.0.1' });
    await client.create(site('w3'));
    expect(nameOf(await next(watch))).toBe('ADDED:w2');
    expect(nameOf(await next(watch))).toBe('ADDED:w3');
    stop.abort();
    expect((await watch.next()).done).toBe(true);
  });

  it('relists (SYNC) when its resourceVersion has been compacted away', async () => {
    const old = (await client.list('sites')).resourceVersion;
    await client.create(site('c1'));
    await client.create(site('c2'));
    await store.compact(0);
    const stop = new AbortController();
    const watch = client.watch('sites', { resourceVersion: old, signal: stop.signal });
    const sync = await next(watch);
    expect(sync.type).toBe('SYNC');
    expect(nameOf(sync)).toContain('c2');
    await client.create(site('c3'));
    expect(nameOf(await next(watch))).toBe('ADDED:c3');
    await watch.return(undefined);
  });

  it('follows the fleet summary, and picks it up again after the server restarts', async () => {
    const node = (name: string): ResourceInput => ({ apiVersion: 'weft/v1', kind: 'Node', metadata: { name }, spec: { site: 'summary-site', cpu: '8', memory: '32Gi', gpus: [{ index: 0, model: 'L4', memory: '24Gi' }] } });
    const gpusAt = (s: FleetSummary): number => s.gpus.filter((g) => g.site === 'summary-site').reduce((t, g) => t + g.total, 0);
    const stop = new AbortController();
    const summaries = watchSummary(client, { signal: stop.signal, maxBackoffMs: 200 });
    const take = async (want: number): Promise<FleetSummary> => {
      for (;;) {
        const r = await Promise.race([summaries.next(), new Promise<never>((_, fail) => setTimeout(() => fail(new Error(`no summary with ${want} GPUs`)), 15_000))]);
        if (r.done) throw new Error('summary stream ended');
        if (gpusAt(r.value) === want) return r.value;
      }
    };
    expect(gpusAt(await take(0))).toBe(0);
    await client.create(node('s1'));
    await take(1);

    await server.close();
    await store.create(node('s2'));
    server = await startServer({ store, port, host: '127.0.0.1' });
    // The reconnected stream starts with a complete summary: nothing written meanwhile is missed.
    const after = await take(2);
    expect(after.nodes.reduce((t, n) => t + n.count, 0)).toBeGreaterThanOrEqual(2);
    stop.abort();
    expect((await summaries.next()).done).toBe(true);
  });
});
