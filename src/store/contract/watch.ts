// Contract: watch delivers every change after a resourceVersion exactly once, in order; filters;
// resumes from any retained version; 410 after compaction; abort ends it.
import { describe, expect, it } from 'vitest';
import { BadRequestError, GoneError } from '../../model/errors.js';
import { driverOf } from '../store.js';
import type { Store, WatchEvent } from '../types.js';
import { collect, job, node, uniq, untilName, type Ctx } from './harness.js';

type Written = [type: WatchEvent['type'], rv: string, name: string];

/** Several concurrent writers in one project; returns what each write reported. */
async function writeConcurrently(store: Store, p: string, writers: number, each: number): Promise<Written[]> {
  const runs = Array.from({ length: writers }, async (_, w) => {
    const out: Written[] = [];
    for (let i = 0; i < each; i++) {
      const name = `w${w}-${i}`;
      const o = await store.create(job(p, name, { replicas: 1 }));
      out.push(['ADDED', o.metadata.resourceVersion, name]);
      if (i % 3 === 0) {
        const u = await store.update({ ...o, spec: { replicas: 2 } });
        out.push(['MODIFIED', u.metadata.resourceVersion, name]);
      }
      if (i % 4 === 0) {
        const d = await store.delete({ kind: 'Job', project: p, name });
        out.push(['DELETED', d.metadata.resourceVersion, name]);
      }
    }
    // A multi-object transaction in the mix.
    const [a, b] = await store.transaction(async (tx) => [await tx.create(job(p, `tx${w}-a`)), await tx.create(job(p, `tx${w}-b`))]);
    out.push(['ADDED', a.metadata.resourceVersion, `tx${w}-a`], ['ADDED', b.metadata.resourceVersion, `tx${w}-b`]);
    return out;
  });
  return (await Promise.all(runs)).flat();
}

const summary = (evs: WatchEvent[]): Written[] => evs.map((e) => [e.type, e.object.metadata.resourceVersion, e.object.metadata.name]);
const byRv = (a: Written, b: Written): number => (BigInt(a[1]) < BigInt(b[1]) ? -1 : 1);

export function watchTests(get: () => Ctx): void {
  describe('watch', () => {
    let first: { p: string; evs: WatchEvent[] } | undefined;

    it('delivers every change exactly once, in resourceVersion order, under concurrent writers', async () => {
      const { store } = get();
      const p = uniq('p');
      const from = await store.currentResourceVersion();
      const watching = collect(store, { kind: 'Job', project: p, resourceVersion: from }, untilName('sentinel'));
      const written = await writeConcurrently(store, p, 6, 15);
      await store.create(job(p, 'sentinel'));
      const evs = (await watching).filter((e) => e.object.metadata.name !== 'sentinel');
      const rvs = evs.map((e) => BigInt(e.object.metadata.resourceVersion));
      for (let i = 1; i < rvs.length; i++) expect(rvs[i]).toBeGreaterThan(rvs[i - 1]);
      expect(summary(evs)).toEqual([...written].sort(byRv));
      const deleted = evs.find((e) => e.type === 'DELETED');
      expect(deleted?.object.spec).toBeDefined(); // DELETED carries the last state
      first = { p, evs };
    });

    it('resumes from a resourceVersion in the middle', async () => {
      const { store } = get();
      expect(first).toBeDefined();
      const { p, evs } = first!;
      const k = Math.floor(evs.length / 2);
      const resumed = await collect(store, { kind: 'Job', project: p, resourceVersion: evs[k].object.metadata.resourceVersion }, untilName('sentinel'));
      expect(summary(resumed.filter((e) => e.object.metadata.name !== 'sentinel'))).toEqual(summary(evs.slice(k + 1)));
    });

    it('follows live changes made after it started', async () => {
      const { store } = get();
      const p = uniq('p');
      const ac = new AbortController();
      const iter = store.watch({ kind: 'Job', project: p, resourceVersion: await store.currentResourceVersion(), signal: ac.signal })[Symbol.asyncIterator]();
      try {
        const next1 = iter.next();
        await store.create(job(p, 'one'));
        expect((await next1).value?.object.metadata.name).toBe('one');
        // The watch is now certainly on the live tail.
        const o = await store.create(job(p, 'two'));
        const e2 = (await iter.next()).value as WatchEvent;
        expect([e2.type, e2.object.metadata.name, e2.object.metadata.resourceVersion]).toEqual(['ADDED', 'two', o.metadata.resourceVersion]);
        await store.update({ ...o, spec: { replicas: 7 } });
        const e3 = (await iter.next()).value as WatchEvent;
        expect([e3.type, e3.object.spec.replicas, e3.object.metadata.generation]).toEqual(['MODIFIED', 7, 2]);
      } finally {
        ac.abort();
      }
    });

    it('filters by kind, project, projects and label selector', async () => {
      const { store } = get();
      const [p1, p2] = [uniq('p'), uniq('p')];
      const from = await store.currentResourceVersion();
      const nodeName = uniq('n');
      await store.create(job(p1, 'a', {}, { team: 'x' }));
      await store.create(job(p1, 'b', {}, { team: 'y' }));
      await store.create(job(p2, 'c', {}, { team: 'x' }));
      await store.create(node(nodeName, {}, { team: 'x' }));
      await store.create(job(p1, 'zz-end', {}, { team: 'x' }));
      await store.create(job(p2, 'zz-end', {}, { team: 'x' }));
      // Each watch stops at its `ends`-th "zz-end" event, the last writes above.
      const names = async (o: { kind?: string; project?: string; projects?: string[]; labelSelector?: string }, ends: number): Promise<string[]> =>
        (await collect(store, { ...o, resourceVersion: from }, (e) => e.filter((x) => x.object.metadata.name === 'zz-end').length === ends)).map(
          (e) => `${e.object.metadata.project ?? '-'}/${e.object.metadata.name}`,
        );
      expect(await names({ kind: 'Job', project: p1 }, 1)).toEqual([`${p1}/a`, `${p1}/b`, `${p1}/zz-end`]);
      expect(await names({ kind: 'Job', projects: [p1, p2], labelSelector: 'team=x' }, 2)).toEqual([`${p1}/a`, `${p2}/c`, `${p1}/zz-end`, `${p2}/zz-end`]);
      expect(await names({ projects: [p2] }, 1)).toEqual([`${p2}/c`, `${p2}/zz-end`]);
      const all = await names({ labelSelector: 'team in (x)' }, 2);
      expect(all.filter((n) => n.includes(p1) || n.includes(p2) || n.endsWith(nodeName))).toEqual([`${p1}/a`, `${p2}/c`, `-/${nodeName}`, `${p1}/zz-end`, `${p2}/zz-end`]);
    });

    it('narrows to one name on the live feed: that object\'s ADDED, MODIFIED and DELETED, no sibling', async () => {
      const { store } = get();
      const [p, other] = [uniq('p'), uniq('p')];
      const sib = await store.create(job(p, 'sibling'));
      const ac = new AbortController();
      const iter = store.watch({ kind: 'Job', project: p, name: 'target', resourceVersion: await store.currentResourceVersion(), signal: ac.signal })[Symbol.asyncIterator]();
      try {
        const next1 = iter.next();
        const t = await store.create(job(p, 'target'));
        const e1 = (await next1).value as WatchEvent;
        expect([e1.type, e1.object.metadata.name, e1.object.metadata.resourceVersion]).toEqual(['ADDED', 'target', t.metadata.resourceVersion]);
        // The watch has subscribed before delivering its first event, so everything written from
        // here on reaches it through the live feed, not the catch-up read.
        await store.update({ ...sib, spec: { replicas: 2 } });
        await store.create(job(other, 'target')); // same name, other project
        await store.create(job(p, 'target-2'));
        const u = await store.update({ ...t, spec: { replicas: 3 } });
        await store.delete({ kind: 'Job', project: p, name: 'sibling' });
        const d = await store.delete({ kind: 'Job', project: p, name: 'target' });
        const e2 = (await iter.next()).value as WatchEvent;
        const e3 = (await iter.next()).value as WatchEvent;
        expect(summary([e2, e3])).toEqual([['MODIFIED', u.metadata.resourceVersion, 'target'], ['DELETED', d.metadata.resourceVersion, 'target']]);
        expect(e3.object.metadata.project).toBe(p);
        // Nothing else is waiting: a later write to the name is the very next event.
        const again = await store.create(job(p, 'target'));
        const e4 = (await iter.next()).value as WatchEvent;
        expect([e4.type, e4.object.metadata.resourceVersion]).toEqual(['ADDED', again.metadata.resourceVersion]);
      } finally {
        ac.abort();
      }
    });

    it('narrows to one name when catching up from an older version, in the change-log query itself', async () => {
      const { store } = get();
      const [p, other] = [uniq('p'), uniq('p')];
      const from = await store.currentResourceVersion();
      const sib = await store.create(job(p, 'sibling'));
      const t = await store.create(job(p, 'target'));
      await store.create(job(other, 'target'));
      await store.update({ ...sib, spec: { replicas: 2 } });
      const u = await store.update({ ...t, spec: { replicas: 3 } });
      await store.create(job(p, 'target-2'));
      await store.delete({ kind: 'Job', project: p, name: 'sibling' });
      const d = await store.delete({ kind: 'Job', project: p, name: 'target' });
      // Every write above is committed before the watch starts, so it reads them from the change
      // log. The rows that read returns are recorded too: the name must narrow the SQL, not only
      // the events handed on afterwards (a watch on one of 5,000 Jobs must not read them all).
      const driver = driverOf(store);
      if (!driver) throw new Error('the store exposes no driver');
      const sql = driver.read;
      const query = sql.query;
      const fromLog: string[] = [];
      sql.query = async function <R extends object>(text: string, params?: readonly unknown[], name?: string): Promise<R[]> {
        const rows = await query.call(sql, text, params, name);
        if (/\bFROM changes WHERE rv > \$1 AND rv <= \$2\b/.test(text)) {
          for (const r of rows as { rv: string | null; project: string; object: { metadata: { name: string } } }[]) {
            if (r.rv !== null) fromLog.push(`${r.project}/${r.object.metadata.name}`);
          }
        }
        return rows as R[];
      };
      let evs: WatchEvent[];
      let both: WatchEvent[];
      try {
        const isDeleted = (e: WatchEvent[]): boolean => e.some((x) => x.type === 'DELETED');
        evs = await collect(store, { kind: 'Job', project: p, name: 'target', resourceVersion: from }, isDeleted);
        expect(fromLog.length).toBeGreaterThan(0);
        expect(fromLog.every((k) => k === `${p}/target`)).toBe(true);
        fromLog.length = 0;
        // Without a project the name spans projects, still combined with the projects filter.
        both = await collect(store, { kind: 'Job', projects: [p, other], name: 'target', resourceVersion: from }, isDeleted);
        expect(fromLog.length).toBeGreaterThan(0);
        expect(fromLog.every((k) => k === `${p}/target` || k === `${other}/target`)).toBe(true);
      } finally {
        sql.query = query;
      }
      expect(summary(evs)).toEqual([['ADDED', t.metadata.resourceVersion, 'target'], ['MODIFIED', u.metadata.resourceVersion, 'target'], ['DELETED', d.metadata.resourceVersion, 'target']]);
      expect(evs.every((e) => e.object.metadata.project === p)).toBe(true);
      expect(both.map((e) => `${e.type} ${e.object.metadata.project}/${e.object.metadata.name}`)).toEqual([
        `ADDED ${p}/target`,
        `ADDED ${other}/target`,
        `MODIFIED ${p}/target`,
        `DELETED ${p}/target`,
      ]);
    });

    it('ends promptly when aborted, also while waiting', async () => {
      const { store } = get();
      const ac = new AbortController();
      const iter = store.watch({ kind: 'Job', project: uniq('p'), resourceVersion: await store.currentResourceVersion(), signal: ac.signal })[Symbol.asyncIterator]();
      const pending = iter.next();
      await new Promise((r) => setTimeout(r, 30));
      ac.abort();
      expect(await pending).toEqual({ done: true, value: undefined });
      const pre = new AbortController();
      pre.abort();
      const it2 = store.watch({ resourceVersion: '1', signal: pre.signal })[Symbol.asyncIterator]();
      expect(await it2.next()).toEqual({ done: true, value: undefined });
    });

    it('refuses a malformed resourceVersion with 400', async () => {
      const { store } = get();
      for (const rv of ['', 'abc', '-1', '1.5', '99999999999999999999']) {
        const iter = store.watch({ resourceVersion: rv, signal: new AbortController().signal })[Symbol.asyncIterator]();
        await expect(iter.next()).rejects.toBeInstanceOf(BadRequestError);
      }
    });

    it('answers 410 Gone for versions compacted away; "0" starts at the oldest retained change', async () => {
      const { store } = get();
      const p = uniq('p');
      const a = await store.create(job(p, 'a'));
      const b = await store.create(job(p, 'b'));
      const c = await store.create(job(p, 'c'));
      await store.compact(2); // keeps b and c
      const before = BigInt(a.metadata.resourceVersion) - 1n;
      const iter = store.watch({ resourceVersion: before.toString(), signal: new AbortController().signal })[Symbol.asyncIterator]();
      const err = await iter.next().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(GoneError);
      expect((err as GoneError).status).toBe(410);
      const fromA = await collect(store, { resourceVersion: a.metadata.resourceVersion }, untilName('c'));
      expect(summary(fromA)).toEqual([['ADDED', b.metadata.resourceVersion, 'b'], ['ADDED', c.metadata.resourceVersion, 'c']]);
      const fromZero = await collect(store, { resourceVersion: '0' }, untilName('c'));
      expect(summary(fromZero)[0]).toEqual(['ADDED', b.metadata.resourceVersion, 'b']);
      // Compacting everything still lets a watch follow from the current version.
      await store.compact(0);
      const now = await store.currentResourceVersion();
      await expect(store.watch({ resourceVersion: (BigInt(now) - 1n).toString(), signal: new AbortController().signal })[Symbol.asyncIterator]().next()).rejects.toBeInstanceOf(GoneError);
      const watching = collect(store, { kind: 'Job', project: p, resourceVersion: now }, untilName('d'));
      await store.create(job(p, 'd'));
      expect(summary(await watching).map((w) => w[2])).toEqual(['d']);
      expect((await collect(store, { kind: 'Job', project: p, resourceVersion: '0' }, untilName('d'))).map((e) => e.object.metadata.name)).toEqual(['d']);
    });

    it('vacuum keeps every object and change; writes and watches go on after it', async () => {
      const { store } = get();
      const p = uniq('p');
      const a = await store.create(job(p, 'a'));
      await store.update({ ...a, metadata: { ...a.metadata, labels: { v: '2' } } });
      const from = BigInt(a.metadata.resourceVersion) - 1n;
      await store.vacuum();
      expect((await store.get({ kind: 'Job', project: p, name: 'a' }))?.metadata.labels).toEqual({ v: '2' });
      const watching = collect(store, { kind: 'Job', project: p, resourceVersion: from.toString() }, untilName('b'));
      await store.create(job(p, 'b'));
      expect(summary(await watching).map((w) => [w[0], w[2]])).toEqual([['ADDED', 'a'], ['MODIFIED', 'a'], ['ADDED', 'b']]);
    });
  });
}
