// Contract: list filters, label selectors (SQL and in-memory must agree), pagination.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { BadRequestError } from '../../model/errors.js';
import { matchesSelector, parseSelector } from '../selector.js';
import { driverOf } from '../store.js';
import type { ListOptions, ListResult, Store } from '../types.js';
import { collect, job, uniq, type Ctx } from './harness.js';

const LABELS: Record<string, Record<string, string>> = {
  a: { env: 'prod', tier: 'gpu' },
  b: { env: 'prod', tier: 'cpu' },
  c: { env: 'dev', tier: 'gpu', 'weft.dev/owner': 'ana' },
  d: { env: 'staging' },
  e: {},
};

/**
 * Moves an object's creation time, at full database precision, where the store's clock (whole
 * milliseconds) cannot: same-instant ties and microsecond differences are what the newest-first
 * continue token must carry exactly.
 */
async function setCreatedAt(store: Store, project: string, name: string, at: string): Promise<void> {
  const driver = driverOf(store);
  if (!driver) throw new Error('the store exposes no driver');
  await driver.writeTx(async (sql) => {
    await sql.query("UPDATE resources SET created_at = $1::timestamptz WHERE kind = 'Job' AND project = $2 AND name = $3", [at, project, name]);
    return { value: undefined };
  });
}

/** Every page of a list, checking the paging contract on the way; returns the names in order. */
async function walk(store: Store, opts: ListOptions): Promise<{ names: string[]; pages: ListResult[] }> {
  const pages: ListResult[] = [];
  let cont: string | undefined;
  do {
    const page = await store.list('Job', { ...opts, ...(cont ? { continue: cont } : {}) });
    pages.push(page);
    if (opts.limit) expect(page.items.length).toBeLessThanOrEqual(opts.limit);
    if (page.continue) expect(page.items.length).toBe(opts.limit); // continue only when more remain
    cont = page.continue;
    expect(pages.length).toBeLessThan(100); // a token that does not advance would loop forever
  } while (cont);
  expect(new Set(pages.map((p) => p.resourceVersion)).size).toBe(1); // every page reports the first page's version
  return { names: pages.flatMap((p) => p.items.map((o) => `${o.metadata.name}`)), pages };
}

export function listTests(get: () => Ctx): void {
  describe('list', () => {
    it('evaluates label selectors', async () => {
      const { store } = get();
      const p = uniq('p');
      for (const [name, labels] of Object.entries(LABELS)) await store.create(job(p, name, {}, labels));
      const names = async (sel: string): Promise<string> => (await store.list('Job', { project: p, labelSelector: sel })).items.map((o) => o.metadata.name).join(',');
      expect(await names('')).toBe('a,b,c,d,e');
      expect(await names('env=prod')).toBe('a,b');
      expect(await names('env==prod')).toBe('a,b');
      expect(await names('env!=prod')).toBe('c,d,e');
      expect(await names('tier')).toBe('a,b,c');
      expect(await names('!tier')).toBe('d,e');
      expect(await names('env in (dev, staging)')).toBe('c,d');
      expect(await names('env notin (dev,staging)')).toBe('a,b,e');
      expect(await names('env=prod,tier=gpu')).toBe('a');
      expect(await names(' tier = gpu , env in (prod,dev) , weft.dev/owner ')).toBe('c');
      expect(await names('tier=tpu')).toBe('');
    });

    it('a list without a limit returns every object once, in order, however many there are', async () => {
      const { store } = get();
      const p = uniq('p');
      const N = 2500; // more than one statement's worth where the engine reads in pages
      await store.transaction(async (tx) => {
        for (let i = 0; i < N; i++) await tx.create(job(p, `j${String(i).padStart(5, '0')}`));
      });
      const head = await store.currentResourceVersion();
      const all = await store.list('Job', { project: p });
      expect(all.items.map((o) => o.metadata.name)).toEqual(Array.from({ length: N }, (_, i) => `j${String(i).padStart(5, '0')}`));
      expect(all.resourceVersion).toBe(head);
      expect(all.continue).toBeUndefined();
      const newest = await store.list('Job', { project: p, order: 'newest' });
      expect(new Set(newest.items.map((o) => o.metadata.name)).size).toBe(N);
    });

    it('refuses malformed selectors with 400', async () => {
      const { store } = get();
      for (const bad of ['env in (a', '=x', 'a,,b', 'env in ()', "x=1' OR '1'='1", 'a b', 'env in (a))']) {
        await expect(store.list('Job', { labelSelector: bad })).rejects.toBeInstanceOf(BadRequestError);
      }
    });

    it('SQL selector evaluation agrees with in-memory evaluation', async () => {
      const { store } = get();
      const p = uniq('p');
      const keys = ['k1', 'k2', 'x.io/k3'];
      const vals = ['', 'a', 'b'];
      const labelSets = fc.sample(fc.dictionary(fc.constantFrom(...keys), fc.constantFrom(...vals), { maxKeys: 3 }), { numRuns: 24, seed: 7 });
      const stored = new Map<string, Record<string, string>>();
      for (const [i, labels] of labelSets.entries()) {
        await store.create(job(p, `o${i}`, {}, labels));
        stored.set(`o${i}`, labels);
      }
      const requirement = fc.oneof(
        fc.tuple(fc.constantFrom(...keys), fc.constantFrom('=', '==', '!='), fc.constantFrom(...vals)).map(([k, op, v]) => `${k}${op}${v}`),
        fc.tuple(fc.constantFrom(...keys), fc.constantFrom('in', 'notin'), fc.uniqueArray(fc.constantFrom('a', 'b', 'c'), { minLength: 1 })).map(([k, op, vs]) => `${k} ${op} (${vs.join(',')})`),
        fc.tuple(fc.constantFrom('', '!'), fc.constantFrom(...keys)).map(([neg, k]) => `${neg}${k}`),
      );
      const selectors = fc.sample(fc.array(requirement, { minLength: 1, maxLength: 3 }).map((r) => r.join(',')), { numRuns: 40, seed: 11 });
      for (const sel of selectors) {
        const got = (await store.list('Job', { project: p, labelSelector: sel })).items.map((o) => o.metadata.name).sort();
        const reqs = parseSelector(sel);
        const want = [...stored].filter(([, l]) => matchesSelector(reqs, l)).map(([n]) => n).sort();
        expect({ sel, got }).toEqual({ sel, got: want });
      }
    });

    it('filters by project and by a set of projects', async () => {
      const { store } = get();
      const [p1, p2, p3] = [uniq('p'), uniq('p'), uniq('p')];
      for (const p of [p1, p2, p3]) await store.create(job(p, 'same'));
      const projects = async (o: { project?: string; projects?: string[] }): Promise<string[]> =>
        (await store.list('Job', o)).items.map((i) => i.metadata.project ?? '').filter((x) => [p1, p2, p3].includes(x)).sort();
      expect(await projects({ project: p2 })).toEqual([p2]);
      expect(await projects({ projects: [p1, p3] })).toEqual([p1, p3].sort());
      expect(await projects({ projects: [] })).toEqual([]);
      expect(await projects({})).toEqual([p1, p2, p3].sort());
    });

    it('filters by name, combined with project, projects, labelSelector, paging and order', async () => {
      const { store } = get();
      const [p1, p2] = [uniq('p'), uniq('p')];
      await store.create(job(p1, 'a', {}, { team: 'x' }));
      await store.create(job(p1, 'target', {}, { team: 'x' }));
      await store.create(job(p1, 'target-2', {}, { team: 'x' })); // a longer name is not the same name
      await new Promise((r) => setTimeout(r, 5)); // a later millisecond, so newest-first puts it first
      await store.create(job(p2, 'target', {}, { team: 'y' }));
      await store.create(job(p2, 'b', {}, { team: 'y' }));
      const keys = async (o: ListOptions): Promise<string[]> =>
        (await store.list('Job', o)).items.map((i) => `${i.metadata.project}/${i.metadata.name}`).filter((k) => k.startsWith(`${p1}/`) || k.startsWith(`${p2}/`));
      expect(await keys({ project: p1, name: 'target' })).toEqual([`${p1}/target`]);
      expect(await keys({ project: p2, name: 'target' })).toEqual([`${p2}/target`]);
      expect(await keys({ projects: [p1, p2], name: 'target' })).toEqual([`${p1}/target`, `${p2}/target`]);
      expect(await keys({ name: 'target' })).toEqual([`${p1}/target`, `${p2}/target`]);
      expect(await keys({ projects: [p2], name: 'a' })).toEqual([]);
      expect(await keys({ project: p1, name: 'missing' })).toEqual([]);
      expect(await keys({ projects: [p1, p2], name: 'target', labelSelector: 'team=x' })).toEqual([`${p1}/target`]);
      expect(await keys({ projects: [p1, p2], name: 'target', labelSelector: 'team=y' })).toEqual([`${p2}/target`]);
      expect(await keys({ project: p1, name: 'target', labelSelector: 'team=y' })).toEqual([]);
      expect(await keys({ projects: [p1, p2], name: 'target', order: 'newest' })).toEqual([`${p2}/target`, `${p1}/target`]);
      const paged = await walk(store, { projects: [p1, p2], name: 'target', limit: 1 });
      expect(paged.pages.map((p) => p.items.map((o) => `${o.metadata.project}/${o.metadata.name}`))).toEqual([[`${p1}/target`], [`${p2}/target`]]);
    });

    it('pages with limit/continue: no duplicates, no gaps, stable version, while objects are added', async () => {
      const { store } = get();
      const p = uniq('p');
      const pad = (i: number): string => `o${String(i).padStart(4, '0')}`;
      for (let i = 0; i < 300; i += 2) await store.create(job(p, pad(i))); // even names exist throughout
      const seen: string[] = [];
      const versions = new Set<string>();
      let cont: string | undefined;
      let added = 1;
      let pages = 0;
      do {
        const page = await store.list('Job', { project: p, limit: 37, continue: cont });
        pages++;
        versions.add(page.resourceVersion);
        seen.push(...page.items.map((o) => o.metadata.name));
        expect(page.items.length).toBeLessThanOrEqual(37);
        cont = page.continue;
        // Meanwhile, odd names appear both behind and ahead of the cursor.
        for (let k = 0; k < 5 && added < 300; k++, added += 2) await store.create(job(p, pad(added)));
      } while (cont);
      expect(pages).toBeGreaterThanOrEqual(5);
      expect(new Set(seen).size).toBe(seen.length); // no duplicates
      expect([...seen].sort()).toEqual(seen); // one consistent order
      const evens = Array.from({ length: 150 }, (_, i) => pad(i * 2));
      for (const n of evens) expect(seen).toContain(n); // no gaps
      expect(versions.size).toBe(1); // every page reports the first page's version
    });

    it('an exact multiple of the page size ends without an empty extra page', async () => {
      const { store } = get();
      const p = uniq('p');
      for (let i = 0; i < 4; i++) await store.create(job(p, `x${i}`));
      const first = await store.list('Job', { project: p, limit: 2 });
      expect(first.items).toHaveLength(2);
      const second = await store.list('Job', { project: p, limit: 2, continue: first.continue });
      expect(second.items.map((o) => o.metadata.name)).toEqual(['x2', 'x3']);
      expect(second.continue).toBeUndefined();
    });

    it('refuses a forged continue token and a bad limit with 4xx', async () => {
      const { store } = get();
      await expect(store.list('Job', { limit: 5, continue: 'not-a-token' })).rejects.toBeInstanceOf(BadRequestError);
      await expect(store.list('Job', { limit: -1 })).rejects.toMatchObject({ status: 422 });
    });

    it("a watch from the list's resourceVersion sees exactly the later changes", async () => {
      const { store } = get();
      const p = uniq('p');
      await store.create(job(p, 'before'));
      const listed = await store.list('Job', { project: p });
      expect(listed.items.map((o) => o.metadata.name)).toEqual(['before']);
      await store.create(job(p, 'after'));
      await store.create(job(p, 'end'));
      const evs = await collect(store, { kind: 'Job', project: p, resourceVersion: listed.resourceVersion }, (e) => e.length >= 2);
      expect(evs.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED after', 'ADDED end']);
    });

    describe('newest order', () => {
      // Two projects whose names sort "pa…" < "pb…", and creation times chosen so that ties
      // (same instant, in one project and across projects) and a microsecond difference inside
      // one millisecond fall on page boundaries when paging by 2.
      const T = (s: string): string => `2031-01-01T00:00:${s}Z`;
      let pa = '';
      let pb = '';
      beforeAll(async () => {
        const { store } = get();
        pa = uniq('pa');
        pb = uniq('pb');
        const seed: [string, string, string, Record<string, string>][] = [
          [pa, 'a1', T('01.000000'), { tier: 'gpu' }],
          [pb, 'b1', T('01.000000'), { tier: 'gpu' }],
          [pa, 'a2', T('02.000000'), {}],
          [pa, 'a3', T('02.000000'), { tier: 'gpu' }],
          [pb, 'b2', T('03.000000'), {}],
          [pa, 'a4', T('00.500001'), { tier: 'gpu' }],
          [pb, 'b3', T('00.500002'), { tier: 'gpu' }],
          [pa, 'a5', T('04.000000'), {}],
          [pa, 'a6', T('05.000000'), {}],
        ];
        for (const [p, n, at, labels] of seed) {
          await store.create(job(p, n, {}, labels));
          await setCreatedAt(store, p, n, at);
        }
      });

      it('orders by creation time, newest first, ties by project then name, across pages of 2', async () => {
        const { store } = get();
        const all = ['a6', 'a5', 'b2', 'a2', 'a3', 'a1', 'b1', 'b3', 'a4'];
        expect((await store.list('Job', { projects: [pa, pb], order: 'newest' })).items.map((o) => o.metadata.name)).toEqual(all);
        const paged = await walk(store, { projects: [pa, pb], order: 'newest', limit: 2 });
        expect(paged.names).toEqual(all);
        expect(paged.pages.map((p) => p.items.length)).toEqual([2, 2, 2, 2, 1]);
        // The default and 'name' are the old order.
        const byName = ['a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'b1', 'b2', 'b3'];
        expect((await walk(store, { projects: [pa, pb], limit: 2 })).names).toEqual(byName);
        expect((await walk(store, { projects: [pa, pb], order: 'name', limit: 2 })).names).toEqual(byName);
      });

      it('combines with project, projects and labelSelector', async () => {
        const { store } = get();
        // Six in one project: an exact multiple of the page size ends without an empty page.
        const one = await walk(store, { project: pa, order: 'newest', limit: 2 });
        expect(one.names).toEqual(['a6', 'a5', 'a2', 'a3', 'a1', 'a4']);
        expect(one.pages).toHaveLength(3);
        expect((await walk(store, { projects: [pb], order: 'newest', limit: 2 })).names).toEqual(['b2', 'b1', 'b3']);
        expect((await walk(store, { projects: [pa, pb], labelSelector: 'tier=gpu', order: 'newest', limit: 2 })).names).toEqual(['a3', 'a1', 'b1', 'b3', 'a4']);
        expect((await walk(store, { project: pa, labelSelector: '!tier', order: 'newest', limit: 2 })).names).toEqual(['a6', 'a5', 'a2']);
        expect((await store.list('Job', { projects: [], order: 'newest', limit: 2 })).items).toEqual([]);
      });

      it('follows the times the store itself sets at creation', async () => {
        const { store } = get();
        const p = uniq('p');
        // Created in name order, so newest-first is the reverse; the pauses put each creation in a
        // later millisecond of the store's clock.
        for (const n of ['z1', 'z2', 'z3']) {
          await store.create(job(p, n));
          await new Promise((r) => setTimeout(r, 5));
        }
        expect((await walk(store, { project: p, order: 'newest', limit: 2 })).names).toEqual(['z3', 'z2', 'z1']);
        expect((await walk(store, { project: p, limit: 2 })).names).toEqual(['z1', 'z2', 'z3']);
      });

      it('objects created while paging neither repeat nor hide the ones already there', async () => {
        const { store } = get();
        const first = await store.list('Job', { projects: [pa, pb], order: 'newest', limit: 2 });
        try {
          // One newer than everything (before the cursor: not on later pages) and one older than
          // everything (ahead of it: on the last page), as a keyset cursor promises.
          await store.create(job(pa, 'newer'));
          await setCreatedAt(store, pa, 'newer', T('09.000000'));
          await store.create(job(pb, 'older'));
          await setCreatedAt(store, pb, 'older', '2030-12-31T23:59:59.999999Z');
          const rest = await walk(store, { projects: [pa, pb], order: 'newest', limit: 2, continue: first.continue });
          expect(rest.pages[0]!.resourceVersion).toBe(first.resourceVersion);
          expect([...first.items.map((o) => o.metadata.name), ...rest.names]).toEqual(['a6', 'a5', 'b2', 'a2', 'a3', 'a1', 'b1', 'b3', 'a4', 'older']);
        } finally {
          await store.delete({ kind: 'Job', project: pa, name: 'newer' }).catch(() => undefined);
          await store.delete({ kind: 'Job', project: pb, name: 'older' }).catch(() => undefined);
        }
      });

      it('refuses a token issued for the other order, naming continue', async () => {
        const { store } = get();
        const byName = await store.list('Job', { projects: [pa, pb], limit: 2 });
        const newest = await store.list('Job', { projects: [pa, pb], order: 'newest', limit: 2 });
        expect(byName.continue).toBeDefined();
        expect(newest.continue).toBeDefined();
        expect(newest.continue).not.toBe(byName.continue);
        const refused = { status: 400, issues: [expect.objectContaining({ field: 'continue' })] };
        const e1 = await store.list('Job', { projects: [pa, pb], order: 'newest', limit: 2, continue: byName.continue }).catch((e: unknown) => e);
        expect(e1).toBeInstanceOf(BadRequestError);
        expect(e1).toMatchObject(refused);
        const e2 = await store.list('Job', { projects: [pa, pb], limit: 2, continue: newest.continue }).catch((e: unknown) => e);
        expect(e2).toBeInstanceOf(BadRequestError);
        expect(e2).toMatchObject(refused);
        const e3 = await store.list('Job', { projects: [pa, pb], order: 'name', limit: 2, continue: newest.continue }).catch((e: unknown) => e);
        expect(e3).toMatchObject(refused);
        // Each still works with its own order.
        expect((await store.list('Job', { projects: [pa, pb], order: 'newest', limit: 2, continue: newest.continue })).items.map((o) => o.metadata.name)).toEqual(['b2', 'a2']);
        expect((await store.list('Job', { projects: [pa, pb], limit: 2, continue: byName.continue })).items.map((o) => o.metadata.name)).toEqual(['a3', 'a4']);
      });

      it('refuses forged newest tokens with 400 and an unknown order with 422 naming order', async () => {
        const { store } = get();
        const token = (v: unknown): string => Buffer.from(JSON.stringify(v), 'utf8').toString('base64url');
        for (const forged of [
          token([2, '1', 'yesterday', pa, 'a1']),
          token([2, '1', '2031-02-30T00:00:00.000000Z', pa, 'a1']),
          token([2, '1', "2031-01-01T00:00:00.000000Z' OR '1'='1", pa, 'a1']),
          token([2, '1', '2031-01-01T00:00:00.000000Z', pa]),
          token([2, 1, '2031-01-01T00:00:00.000000Z', pa, 'a1']),
          token([3, '1', '2031-01-01T00:00:00.000000Z', pa, 'a1']),
          'not-a-token',
        ]) {
          const e = await store.list('Job', { projects: [pa, pb], order: 'newest', limit: 2, continue: forged }).catch((err: unknown) => err);
          expect(e).toBeInstanceOf(BadRequestError);
          expect(e).toMatchObject({ issues: [expect.objectContaining({ field: 'continue' })] });
        }
        for (const order of ['oldest', 'NEWEST', '', 1]) {
          const e = await store.list('Job', { project: pa, order: order as never }).catch((err: unknown) => err);
          expect(e).toMatchObject({ status: 422, issues: [expect.objectContaining({ field: 'order' })] });
        }
      });
    });

    describe('lists inside a write transaction', () => {
      it('see the transaction\'s own creates, updates and deletes of the kind, and those of transactions batched before it', async () => {
        const { store } = get();
        const p = uniq('p');
        const names = (r: ListResult): string[] => r.items.map((o) => `${o.metadata.name}:${String(o.spec.replicas)}`);
        await store.create(job(p, 'a'));
        await store.transaction(async (tx) => {
          const first = await tx.list('Job', { project: p });
          expect(names(first)).toEqual(['a:1']);
          first.items[0].spec.replicas = 99; // the caller's copy: later reads must not see this
          expect(names(await tx.list('Job', { project: p }))).toEqual(['a:1']);
          await tx.create(job(p, 'b'));
          expect(names(await tx.list('Job', { project: p }))).toEqual(['a:1', 'b:1']);
          const a = (await tx.get({ kind: 'Job', project: p, name: 'a' }))!;
          await tx.update({ ...a, spec: { replicas: 3 } });
          expect(names(await tx.list('Job', { project: p }))).toEqual(['a:3', 'b:1']);
          await tx.delete({ kind: 'Job', project: p, name: 'b' });
          expect(names(await tx.list('Job', { project: p }))).toEqual(['a:3']);
        });
        // Concurrent transactions share one database transaction: each lists what those before it wrote.
        const seen = await Promise.all(
          ['c', 'd', 'e'].map((n) =>
            store.transaction(async (tx) => {
              const before = names(await tx.list('Job', { project: p }));
              await tx.create(job(p, n));
              return before;
            }),
          ),
        );
        expect(seen).toEqual([['a:3'], ['a:3', 'c:1'], ['a:3', 'c:1', 'd:1']]);
      });
    });
  });
}
