// The client's watch against a real server and store (in-process): it resumes after the server
// restarts without missing or repeating a change, and relists when its version was compacted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBootstrapAdmin } from '../../src/api/auth.js';
import { startServer, type RunningServer } from '../../src/api/server.js';
import { WeftApiError, WeftClient, type WatchMessage } from '../../src/client/index.js';
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
});
