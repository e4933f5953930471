// Contract: the GPU ledger refuses double booking whatever writes the Allocation — these tests go
// straight to the store, with no scheduler and no API in the way.
import { describe, expect, it } from 'vitest';
import { ACTIVE_ALLOCATION_PHASES, isActiveAllocation, migMilli, TERMINAL_ALLOCATION_PHASES } from '../../model/allocation-rules.js';
import { ConflictError } from '../../model/errors.js';
import { driverOf } from '../store.js';
import type { ResourceInput } from '../../model/metadata.js';
import type { Store } from '../types.js';
import { uniq, type Ctx } from './harness.js';

export interface Gpu {
  index: number;
  milli?: number;
  mig?: { profile: string; start: number; size: number };
}

/** An H100 Allocation written straight to the store (no scheduler), optionally with a phase. */
export function alloc(project: string, name: string, node: string, gpus: Gpu[], phase?: string): ResourceInput {
  return {
    apiVersion: 'weft/v1',
    kind: 'Allocation',
    metadata: { name, project },
    spec: {
      workload: { kind: 'Job', name: 'j', uid: '00000000-0000-0000-0000-000000000000' },
      replica: 0,
      attempt: 0,
      node,
      gpus: gpus.map((g) => ({ model: 'H100-80GB', milli: 1000, ...g })),
      cpuMilli: 1000,
      memoryBytes: 0,
    },
    ...(phase ? { status: { phase } } : {}),
  };
}

async function refused(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e, 'the write should have been refused').toBeInstanceOf(ConflictError);
  expect((e as ConflictError).status).toBe(409);
  expect((e as Error).message).toMatch(pattern);
}

const mig = (start: number, size: number): Gpu => ({ index: 0, milli: migMilli(`${size}g.10gb`), mig: { profile: `${size}g.10gb`, start, size } });

export function ledgerTests(get: () => Ctx): void {
  describe('GPU ledger (no double booking, whatever the writer)', () => {
    const setup = (): { store: Store; p: string; n: string } => ({ store: get().store, p: uniq('p'), n: uniq('node') });

    it("holds an allocation's GPUs exactly while the model calls it active", async () => {
      const read = driverOf(get().store)!.read;
      for (const status of [undefined, ...[...ACTIVE_ALLOCATION_PHASES, ...TERMINAL_ALLOCATION_PHASES].map((phase) => ({ phase }))]) {
        const [row] = await read.query<{ active: boolean }>('SELECT weft_allocation_active($1::jsonb) AS active', [JSON.stringify(status ? { status } : {})]);
        expect(row!.active, JSON.stringify(status)).toBe(isActiveAllocation(status ? { status } : {}));
      }
    });

    it('refuses a whole GPU held twice, also in another project and in one transaction', async () => {
      const { store, p, n } = setup();
      await store.create(alloc(p, 'a', n, [{ index: 0 }, { index: 1 }]));
      await refused(store.create(alloc(p, 'b', n, [{ index: 1 }])), /GPU 1 of node .*1000 of 1000/);
      await refused(store.create(alloc(uniq('other'), 'b', n, [{ index: 0 }])), /GPU 0/);
      await refused(
        store.transaction(async (tx) => {
          await tx.create(alloc(p, 'c', n, [{ index: 2 }]));
          await tx.create(alloc(p, 'd', n, [{ index: 2 }]));
        }),
        /GPU 2/,
      );
      // Nothing of the refused transaction stayed: GPU 2 is free.
      await store.create(alloc(p, 'e', n, [{ index: 2 }]));
      // The same GPU twice in one allocation is a double booking too.
      await refused(store.create(alloc(p, 'f', n, [{ index: 3 }, { index: 3 }])), /GPU 3/);
    });

    it('refuses shares beyond 1000 milli and a whole GPU on a shared one', async () => {
      const { store, p, n } = setup();
      await store.create(alloc(p, 's1', n, [{ index: 0, milli: 600 }]));
      await store.create(alloc(p, 's2', n, [{ index: 0, milli: 400 }]));
      await refused(store.create(alloc(p, 's3', n, [{ index: 0, milli: 1 }])), /1 milli but 1000 of 1000/);
      await store.create(alloc(p, 't1', n, [{ index: 1, milli: 250 }]));
      await refused(store.create(alloc(p, 'w', n, [{ index: 1 }])), /1000 milli but 250 of 1000/);
    });

    it('refuses an overlapping MIG slice, and MIG mixed with whole or shared use', async () => {
      const { store, p, n } = setup();
      await store.create(alloc(p, 'm1', n, [mig(0, 4)]));
      await store.create(alloc(p, 'm2', n, [mig(4, 2)]));
      await refused(store.create(alloc(p, 'm3', n, [mig(5, 1)])), /MIG slices \[5, 6\).*m2/);
      await refused(store.create(alloc(p, 'm4', n, [mig(3, 2)])), /already held by .*m1/);
      await refused(store.create(alloc(p, 'w', n, [{ index: 0 }])), /MIG slices of the GPU are held/);
      await refused(store.create(alloc(p, 's', n, [{ index: 0, milli: 100 }])), /MIG slices of the GPU are held/);
      await store.create(alloc(p, 'whole', n, [{ index: 1 }]));
      await refused(store.create(alloc(p, 'm5', n, [{ ...mig(0, 1), index: 1 }])), /held whole or shared/);
      await store.create(alloc(p, 'm6', n, [mig(6, 1)])); // slice 6 is still free
    });

    it('releases on a terminal phase and on delete, and re-claims only what is free', async () => {
      const { store, p, n } = setup();
      const a = await store.create(alloc(p, 'a', n, [{ index: 0 }]));
      // Bound → Running keeps the claim: still refused.
      const running = await store.update({ ...a, status: { phase: 'Running' } });
      await refused(store.create(alloc(p, 'b', n, [{ index: 0 }])), /GPU 0/);
      await store.update({ ...running, status: { phase: 'Succeeded' } });
      const b = await store.create(alloc(p, 'b', n, [{ index: 0 }]));
      // A finished allocation cannot come back to life on a GPU someone else now holds.
      const finished = await store.get({ kind: 'Allocation', project: p, name: 'a' });
      await refused(store.update({ ...finished!, status: { phase: 'Running' } }), /GPU 0/);
      await store.delete({ kind: 'Allocation', project: p, name: 'b' });
      await store.create(alloc(p, 'c', n, [{ index: 0 }]));
      // Moving an active allocation releases the old GPU and claims the new one.
      const c = await store.get({ kind: 'Allocation', project: p, name: 'c' });
      await store.update({ ...c!, spec: { ...c!.spec, gpus: [{ index: 5, model: 'H100-80GB', milli: 1000 }] } });
      await store.create(alloc(p, 'd', n, [{ index: 0 }]));
      await refused(store.create(alloc(p, 'e', n, [{ index: 5 }])), /GPU 5/);
      expect(b.metadata.name).toBe('b');
    });

    it('a refused allocation in a batch of concurrent writes fails alone', async () => {
      const { store, p, n } = setup();
      const results = await Promise.allSettled(
        Array.from({ length: 12 }, (_, i) => store.create(alloc(p, `x${i}`, n, [{ index: i % 6 }]))),
      );
      const ok = results.filter((r) => r.status === 'fulfilled').length;
      expect(ok).toBe(6);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(ConflictError);
    });

    it('refuses malformed holdings as invalid, not as a server error', async () => {
      const { store, p, n } = setup();
      const e = await store.create(alloc(p, 'bad', n, [{ index: 0, milli: 1500 }])).catch((err: unknown) => err);
      expect((e as { status?: number }).status).toBe(422);
    });
  });
}
