// Contract: create / get / update / delete, optimistic concurrency and transactions.
import { describe, expect, it } from 'vitest';
import { AlreadyExistsError, BadRequestError, ConflictError, NotFoundError, ValidationError } from '../../model/errors.js';
import type { Resource, ResourceInput } from '../../model/metadata.js';
import { collect, job, node, settled, uniq, type Ctx } from './harness.js';

export function crudTests(get: () => Ctx): void {
  describe('create, get, update, delete', () => {
    it('create sets server fields and get returns the same object', async () => {
      const { store } = get();
      const p = uniq('p');
      const before = BigInt(await store.currentResourceVersion());
      const created = await store.create({ ...job(p, 'train', { replicas: 2 }, { team: 'vision' }), metadata: { name: 'train', project: p, labels: { team: 'vision' }, uid: 'forged', resourceVersion: '999', generation: 7 } });
      expect(created.apiVersion).toBe('weft/v1');
      expect(created.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
      expect(created.metadata.uid).not.toBe('forged');
      expect(created.metadata.generation).toBe(1);
      expect(BigInt(created.metadata.resourceVersion)).toBeGreaterThan(before);
      expect(Number.isNaN(Date.parse(created.metadata.creationTimestamp))).toBe(false);
      expect(created.metadata.project).toBe(p);
      expect(await store.currentResourceVersion()).toBe(created.metadata.resourceVersion);
      expect(await store.get({ kind: 'Job', project: p, name: 'train' })).toEqual(created);
      expect(await store.get({ kind: 'Job', project: uniq('other'), name: 'train' })).toBeUndefined();
      expect(await store.get({ kind: 'Queue', project: p, name: 'train' })).toBeUndefined();
    });

    it('cluster-scoped objects have no project', async () => {
      const { store } = get();
      const n = uniq('gpu');
      const created = await store.create(node(n));
      expect(created.metadata.project).toBeUndefined();
      expect(await store.get({ kind: 'Node', name: n })).toEqual(created);
      expect(await store.get({ kind: 'Node', project: '', name: n })).toEqual(created);
    });

    it('create on an existing key fails with AlreadyExists and changes nothing', async () => {
      const { store } = get();
      const p = uniq('p');
      const first = await store.create(job(p, 'a', { replicas: 1 }));
      const err = await store.create(job(p, 'a', { replicas: 9 })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AlreadyExistsError);
      expect((err as AlreadyExistsError).status).toBe(409);
      expect(await store.get({ kind: 'Job', project: p, name: 'a' })).toEqual(first);
      expect(await store.currentResourceVersion()).toBe(first.metadata.resourceVersion);
      // The same name under another project or kind is another object.
      await store.create(job(uniq('p'), 'a'));
      await store.create({ ...job(p, 'a'), kind: 'Queue' });
    });

    it('resourceVersion is monotonic across kinds and projects', async () => {
      const { store } = get();
      const rvs: bigint[] = [];
      for (let i = 0; i < 5; i++) {
        rvs.push(BigInt((await store.create(job(uniq('p'), 'x'))).metadata.resourceVersion));
        rvs.push(BigInt((await store.create(node(uniq('n')))).metadata.resourceVersion));
      }
      for (let i = 1; i < rvs.length; i++) expect(rvs[i]).toBeGreaterThan(rvs[i - 1]);
    });

    it('update bumps generation only when spec changes and keeps server-owned fields', async () => {
      const { store } = get();
      const p = uniq('p');
      const v1 = await store.create(job(p, 'j', { replicas: 1 }));
      const forged = { ...v1.metadata, uid: 'x', creationTimestamp: '2000-01-01T00:00:00.000Z', generation: 42 };
      const v2 = await store.update({ ...v1, metadata: { ...forged, labels: { a: 'b' } } });
      expect(v2.metadata.generation).toBe(1);
      expect(v2.metadata.uid).toBe(v1.metadata.uid);
      expect(v2.metadata.creationTimestamp).toBe(v1.metadata.creationTimestamp);
      expect(v2.metadata.labels).toEqual({ a: 'b' });
      expect(BigInt(v2.metadata.resourceVersion)).toBeGreaterThan(BigInt(v1.metadata.resourceVersion));
      const v3 = await store.update({ ...v2, status: { phase: 'Running' } });
      expect(v3.metadata.generation).toBe(1);
      expect(v3.status).toEqual({ phase: 'Running' });
      const v4 = await store.update({ ...v3, spec: { replicas: 3 } }, { resourceVersion: v3.metadata.resourceVersion });
      expect(v4.metadata.generation).toBe(2);
      expect(v4.status).toEqual({ phase: 'Running' }); // absent status keeps the stored one
      expect(await store.get({ kind: 'Job', project: p, name: 'j' })).toEqual(v4);
    });

    it('an update that changes nothing keeps the resourceVersion', async () => {
      const { store } = get();
      const p = uniq('p');
      const v1 = await store.create(job(p, 'same', { replicas: 1, nested: { a: 1, b: 2 } }));
      const v2 = await store.update({ ...v1, spec: { nested: { b: 2, a: 1 }, replicas: 1 } });
      expect(v2.metadata.resourceVersion).toBe(v1.metadata.resourceVersion);
    });

    it('update and delete with a stale resourceVersion fail with Conflict (409) and change nothing', async () => {
      const { store } = get();
      const p = uniq('p');
      const v1 = await store.create(job(p, 'c', { replicas: 1 }));
      const v2 = await store.update({ ...v1, spec: { replicas: 2 } }, { resourceVersion: v1.metadata.resourceVersion });
      const upd = await store.update({ ...v1, spec: { replicas: 3 } }, { resourceVersion: v1.metadata.resourceVersion }).catch((e: unknown) => e);
      expect(upd).toBeInstanceOf(ConflictError);
      expect((upd as ConflictError).status).toBe(409);
      const del = await store.delete({ kind: 'Job', project: p, name: 'c' }, { resourceVersion: v1.metadata.resourceVersion }).catch((e: unknown) => e);
      expect(del).toBeInstanceOf(ConflictError);
      expect(await store.get({ kind: 'Job', project: p, name: 'c' })).toEqual(v2);
    });

    it('update and delete of a missing object fail with NotFound', async () => {
      const { store } = get();
      const p = uniq('p');
      await expect(store.update(job(p, 'ghost'))).rejects.toBeInstanceOf(NotFoundError);
      await expect(store.delete({ kind: 'Job', project: p, name: 'ghost' })).rejects.toBeInstanceOf(NotFoundError);
    });

    it('delete returns the last object and removes it', async () => {
      const { store } = get();
      const p = uniq('p');
      const v1 = await store.create(job(p, 'd', { replicas: 4 }));
      const gone = await store.delete({ kind: 'Job', project: p, name: 'd' }, { resourceVersion: v1.metadata.resourceVersion });
      expect(gone.spec).toEqual({ replicas: 4 });
      expect(gone.metadata.uid).toBe(v1.metadata.uid);
      expect(BigInt(gone.metadata.resourceVersion)).toBeGreaterThan(BigInt(v1.metadata.resourceVersion));
      expect(await store.currentResourceVersion()).toBe(gone.metadata.resourceVersion);
      expect(await store.get({ kind: 'Job', project: p, name: 'd' })).toBeUndefined();
      // The name is free again, with a new identity.
      const again = await store.create(job(p, 'd'));
      expect(again.metadata.uid).not.toBe(v1.metadata.uid);
    });

    it('rejects bad input with 4xx errors and leaves the store unchanged', async () => {
      const { store } = get();
      const p = uniq('p');
      const before = await store.currentResourceVersion();
      await expect(store.create(job(p, 'nul', { cmd: 'a\u0000b' }))).rejects.toBeInstanceOf(ValidationError);
      await expect(store.create(job(p, 'bad\u0000name'))).rejects.toBeInstanceOf(ValidationError);
      await expect(store.create({ ...job(p, ''), metadata: { name: '', project: p } })).rejects.toBeInstanceOf(ValidationError);
      const v = await store.create(job(p, 'ok'));
      await expect(store.update(v, { resourceVersion: 'abc' })).rejects.toBeInstanceOf(BadRequestError);
      await expect(store.get({ kind: 'Job', project: p, name: 'x\u0000' })).rejects.toBeInstanceOf(ValidationError);
      expect(BigInt(await store.currentResourceVersion())).toBe(BigInt(before) + 1n);
    });
  });

  describe('concurrency', () => {
    it('50 concurrent updates with the same resourceVersion: exactly one wins', async () => {
      const { store } = get();
      const p = uniq('p');
      const v1 = await store.create(job(p, 'race', { replicas: 0 }));
      const results = await settled(
        Array.from({ length: 50 }, (_, i) => store.update({ ...v1, spec: { replicas: i + 1 } }, { resourceVersion: v1.metadata.resourceVersion })),
      );
      const won = results.filter((r): r is PromiseFulfilledResult<Resource> => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(49);
      for (const l of lost) expect(l.reason).toBeInstanceOf(ConflictError);
      const now = await store.get({ kind: 'Job', project: p, name: 'race' });
      expect(now?.spec).toEqual(won[0].value.spec);
      expect(now?.metadata.generation).toBe(2);
    });

    it('50 concurrent creates of one key: exactly one wins', async () => {
      const { store } = get();
      const p = uniq('p');
      const results = await settled(Array.from({ length: 50 }, (_, i) => store.create(job(p, 'once', { replicas: i }))));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(AlreadyExistsError);
    });

    it('concurrent transactions creating taken names: only those fail, with AlreadyExists', async () => {
      const { store } = get();
      const p = uniq('p');
      await store.create(job(p, 'taken'));
      const names = ['a', 'b', 'taken', 'c', 'd', 'd', 'e'];
      const results = await settled(names.map((n) => store.transaction((tx) => tx.create(job(p, n)))));
      expect(results.map((r) => (r.status === 'fulfilled' ? 'ok' : (r.reason as Error).constructor.name))).toEqual([
        'ok', 'ok', 'AlreadyExistsError', 'ok', 'ok', 'AlreadyExistsError', 'ok',
      ]);
      expect((await store.list('Job', { project: p })).items.map((o) => o.metadata.name)).toEqual(['a', 'b', 'c', 'd', 'e', 'taken']);
      // A caller may catch AlreadyExists inside its transaction and carry on.
      const upserted = await store.transaction(async (tx) => {
        try {
          return await tx.create(job(p, 'taken', { replicas: 5 }));
        } catch (e) {
          if (!(e instanceof AlreadyExistsError)) throw e;
          const cur = await tx.get({ kind: 'Job', project: p, name: 'taken' });
          return tx.update({ ...cur!, spec: { replicas: 5 } });
        }
      });
      expect(upserted.metadata.generation).toBe(2);
    });

    it('writes issued together see each other in issue order', async () => {
      const { store } = get();
      const p = uniq('p');
      const key = { kind: 'Job', project: p, name: 'x' };
      const [before, x, , after, updated, seen] = await Promise.all([
        store.transaction((tx) => tx.get(key)),
        store.create(job(p, 'x', { replicas: 1 })),
        store.create(job(p, 'y')),
        store.transaction((tx) => tx.get(key)),
        store.transaction(async (tx) => {
          const cur = await tx.get(key);
          return tx.update({ ...cur!, spec: { replicas: 2 } });
        }),
        store.transaction((tx) => tx.get(key)),
      ]);
      expect(before).toBeUndefined();
      expect(after).toEqual(x);
      expect(seen).toEqual(updated);
      expect(seen?.spec).toEqual({ replicas: 2 });
    });

    it('one bad write among concurrent writes fails alone', async () => {
      const { store } = get();
      const p = uniq('p');
      const results = await settled(Array.from({ length: 10 }, (_, i) => store.create(job(p, `w${i}`, { v: i === 4 ? 'bad\u0000' : 'ok' }))));
      results.forEach((r, i) => {
        if (i === 4) expect(r.status === 'rejected' && r.reason instanceof ValidationError).toBe(true);
        else expect(r.status).toBe('fulfilled');
      });
      expect((await store.list('Job', { project: p })).items.map((o) => o.metadata.name).sort()).toEqual(['w0', 'w1', 'w2', 'w3', 'w5', 'w6', 'w7', 'w8', 'w9']);
    });
  });

  describe('transactions', () => {
    it('commits everything together and reads its own writes', async () => {
      const { store } = get();
      const p = uniq('p');
      const out = await store.transaction(async (tx) => {
        expect(await tx.get({ kind: 'Job', project: p, name: 'a' })).toBeUndefined();
        const a = await tx.create(job(p, 'a'));
        const b = await tx.create(job(p, 'b'));
        expect(await tx.get({ kind: 'Job', project: p, name: 'a' })).toEqual(a);
        expect((await tx.list('Job', { project: p })).items).toHaveLength(2);
        await tx.update({ ...b, spec: { replicas: 5 } }, { resourceVersion: b.metadata.resourceVersion });
        await tx.delete({ kind: 'Job', project: p, name: 'a' });
        return 'done';
      });
      expect(out).toBe('done');
      const items = (await store.list('Job', { project: p })).items;
      expect(items.map((o) => [o.metadata.name, o.spec.replicas])).toEqual([['b', 5]]);
    });

    it('a stamp changes exactly when an object of its kinds is created, changed or deleted, inside a transaction too', async () => {
      const { store } = get();
      const site = (name: string, region = 'a'): ResourceInput => ({ apiVersion: 'weft/v1', kind: 'Site', metadata: { name }, spec: { region } });
      const s0 = await store.stamp(['Site', 'DataClass']);
      await store.create(job(uniq('p'), 'other-kind'));
      expect(await store.stamp(['Site', 'DataClass'])).toBe(s0);
      const name = uniq('site');
      const created = await store.create(site(name));
      const s1 = await store.stamp(['Site', 'DataClass']);
      expect(s1).not.toBe(s0);
      await store.transaction(async (tx) => {
        expect(await tx.stamp(['Site', 'DataClass'])).toBe(s1);
        await tx.create(job(uniq('p'), 'still-other'));
        expect(await tx.stamp(['Site', 'DataClass'])).toBe(s1);
        await tx.update({ ...created, spec: { region: 'b' } });
        const s2 = await tx.stamp(['Site', 'DataClass']);
        expect(s2).not.toBe(s1);
        await tx.delete({ kind: 'Site', name });
        expect(await tx.stamp(['Site', 'DataClass'])).not.toBe(s2);
      });
      // Back to as many Sites as before: the count is the stamp's first part.
      expect((await store.stamp(['Site', 'DataClass'])).split(':')[0]).toBe(s0.split(':')[0]);
    });

    it('a throwing transaction writes nothing', async () => {
      const { store } = get();
      const p = uniq('p');
      const keep = await store.create(job(p, 'keep', { replicas: 1 }));
      const before = await store.currentResourceVersion();
      const err = await store
        .transaction(async (tx) => {
          await tx.create(job(p, 'new'));
          await tx.update({ ...keep, spec: { replicas: 99 } });
          await tx.delete({ kind: 'Job', project: p, name: 'keep' });
          throw new Error('changed my mind');
        })
        .catch((e: unknown) => e);
      expect((err as Error).message).toBe('changed my mind');
      expect(await store.get({ kind: 'Job', project: p, name: 'new' })).toBeUndefined();
      expect(await store.get({ kind: 'Job', project: p, name: 'keep' })).toEqual(keep);
      expect(await store.currentResourceVersion()).toBe(before);
      // The versions it would have used are handed out again, so the log has no holes.
      const next = await store.create(job(p, 'after'));
      expect(BigInt(next.metadata.resourceVersion)).toBe(BigInt(before) + 1n);
    });

    it('concurrent transactions commit or roll back independently', async () => {
      const { store } = get();
      const p = uniq('p');
      const from = await store.currentResourceVersion();
      const results = await settled(
        Array.from({ length: 24 }, (_, i) =>
          store.transaction(async (tx) => {
            await tx.create(job(p, `t${i}`));
            if (i % 3 === 0) throw new Error(`refused ${i}`);
            if (i % 4 === 1) await tx.create(job(p, `bad-${i}`, { v: 'nul\u0000' })); // the database refuses this one
            return i;
          }),
        ),
      );
      const survivors = results.flatMap((r, i) => (r.status === 'fulfilled' ? [`t${i}`] : []));
      results.forEach((r, i) => expect(r.status === 'fulfilled').toBe(i % 3 !== 0 && i % 4 !== 1));
      expect((await store.list('Job', { project: p })).items.map((o) => o.metadata.name).sort()).toEqual([...survivors].sort());
      // The log holds exactly the committed creates, with no holes where rolled-back ones were.
      const evs = await collect(store, { kind: 'Job', project: p, resourceVersion: from }, (e) => e.length >= survivors.length);
      expect(evs.map((e) => e.object.metadata.name).sort()).toEqual([...survivors].sort());
      expect(BigInt(evs[evs.length - 1].object.metadata.resourceVersion) - BigInt(from)).toBe(BigInt(survivors.length));
    });

    it('a transaction that swallows a database error still fails and writes nothing', async () => {
      const { store } = get();
      const p = uniq('p');
      const outcome = store.transaction(async (tx) => {
        await tx.create(job(p, 'first'));
        await tx.create(job(p, 'bad', { v: '\u0000' })).catch(() => undefined);
        return 'pretend all is well';
      });
      await expect(outcome).rejects.toBeTruthy();
      expect(await store.get({ kind: 'Job', project: p, name: 'first' })).toBeUndefined();
    });

    it('getMany reads many keys in order, inside and outside a transaction, and sees the transaction\'s writes', async () => {
      const { store } = get();
      const p = uniq('p');
      const a = await store.create(job(p, 'a'));
      const c = await store.create(job(p, 'c'));
      const keys = ['c', 'missing', 'a'].map((name) => ({ kind: 'Job', project: p, name }));
      expect(await store.getMany(keys)).toEqual([c, undefined, a]);
      expect(await store.getMany([])).toEqual([]);
      await store.transaction(async (tx) => {
        const b = await tx.create(job(p, 'missing'));
        const u = await tx.update({ ...a, spec: { replicas: 4 } });
        expect(await tx.getMany(keys)).toEqual([c, b, u]);
      });
    });

    it('batched creates commit with the rest, in one statement, and a taken name fails the whole transaction', async () => {
      const { store } = get();
      const p = uniq('p');
      const from = await store.currentResourceVersion();
      const out = await store.transaction(
        async (tx) => {
          const made = [await tx.create(job(p, 'a')), await tx.create(job(p, 'b'))];
          // Versions are handed out at once; the update reads the batched creates.
          expect(made.map((m) => BigInt(m.metadata.resourceVersion) - BigInt(from))).toEqual([1n, 2n]);
          await tx.update({ ...made[1]!, spec: { replicas: 3 } });
          return made;
        },
        { batchCreates: true },
      );
      expect(out.map((o) => o.metadata.name)).toEqual(['a', 'b']);
      expect((await store.list('Job', { project: p })).items.map((o) => [o.metadata.name, o.spec.replicas ?? 1])).toEqual([['a', 1], ['b', 3]]);
      const err = await store
        .transaction(
          async (tx) => {
            await tx.create(job(p, 'fresh'));
            await tx.create(job(p, 'a')); // taken: found only when the batch is sent
          },
          { batchCreates: true },
        )
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConflictError);
      expect(await store.get({ kind: 'Job', project: p, name: 'fresh' })).toBeUndefined();
    });

    it('updateMany checks each update, writes them in order with consecutive versions, and all or none', async () => {
      const { store } = get();
      const p = uniq('p');
      const a = await store.create(job(p, 'a'));
      const b = await store.create(job(p, 'b'));
      const c = await store.create(job(p, 'c'));
      const from = await store.currentResourceVersion();
      const out = await store.updateMany([
        { input: { ...b, spec: { replicas: 2 } }, opts: { resourceVersion: b.metadata.resourceVersion } },
        { input: c }, // changes nothing: keeps its version, no event
        { input: { ...a, status: { phase: 'Running' } } },
      ]);
      expect(out.map((o) => BigInt(o.metadata.resourceVersion) - BigInt(from))).toEqual([1n, BigInt(c.metadata.resourceVersion) - BigInt(from), 2n]);
      expect(out[0]!.metadata.generation).toBe(2); // spec changed
      expect(out[2]!.metadata.generation).toBe(1); // status only
      expect(await store.getMany(['b', 'c', 'a'].map((name) => ({ kind: 'Job', project: p, name })))).toEqual(out);
      const evs = await collect(store, { kind: 'Job', project: p, resourceVersion: from }, (e) => e.length >= 2);
      expect(evs.map((e) => [e.type, e.object.metadata.name])).toEqual([['MODIFIED', 'b'], ['MODIFIED', 'a']]);
      // A stale version anywhere fails the call and writes nothing.
      const before = await store.currentResourceVersion();
      await expect(
        store.updateMany([{ input: { ...out[0]!, spec: { replicas: 9 } } }, { input: { ...a, spec: { replicas: 9 } }, opts: { resourceVersion: a.metadata.resourceVersion } }]),
      ).rejects.toBeInstanceOf(ConflictError);
      await expect(store.updateMany([{ input: { ...a, spec: { replicas: 9 } } }, { input: { ...a, spec: { replicas: 8 } } }])).rejects.toBeInstanceOf(ConflictError);
      expect(await store.currentResourceVersion()).toBe(before);
      expect((await store.get({ kind: 'Job', project: p, name: 'b' }))!.spec).toEqual({ replicas: 2 });
    });

    it('a conflict inside a transaction rolls it back', async () => {
      const { store } = get();
      const p = uniq('p');
      const v1 = await store.create(job(p, 'x'));
      await store.update({ ...v1, spec: { replicas: 2 } });
      await expect(
        store.transaction(async (tx) => {
          await tx.create(job(p, 'y'));
          await tx.update({ ...v1, spec: { replicas: 3 } }, { resourceVersion: v1.metadata.resourceVersion });
        }),
      ).rejects.toBeInstanceOf(ConflictError);
      expect(await store.get({ kind: 'Job', project: p, name: 'y' })).toBeUndefined();
    });
  });
}
