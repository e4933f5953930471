// Contract: list filters, label selectors (SQL and in-memory must agree), pagination.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BadRequestError } from '../../model/errors.js';
import { matchesSelector, parseSelector } from '../selector.js';
import { collect, job, uniq, type Ctx } from './harness.js';

const LABELS: Record<string, Record<string, string>> = {
  a: { env: 'prod', tier: 'gpu' },
  b: { env: 'prod', tier: 'cpu' },
  c: { env: 'dev', tier: 'gpu', 'weft.dev/owner': 'ana' },
  d: { env: 'staging' },
  e: {},
};

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
  });
}
