// Contract: replica log chunks are stored once per (allocation, seq), read back in seq order,
// and each allocation is trimmed to its byte budget, oldest chunks first.
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../model/errors.js';
import { MAX_CHUNK_BYTES } from '../logs.js';
import { uniq, type Ctx } from './harness.js';

export function logTests(get: () => Ctx): void {
  describe('logs', () => {
    it('stores each seq once and reads chunks back in order', async () => {
      const { store } = get();
      const uid = uniq('alloc');
      const alloc = { uid, project: 'p' };
      expect(await store.logs.append(alloc, [{ seq: 1, stream: 'stdout', data: 'b\n' }, { seq: 0, stream: 'stderr', data: 'a\n', time: '2026-01-01T00:00:00Z' }])).toBe(2);
      expect(await store.logs.append(alloc, [{ seq: 1, stream: 'stdout', data: 'changed\n' }, { seq: 2, stream: 'stdout', data: 'c\n' }])).toBe(1);
      const all = await store.logs.read(uid);
      expect(all.map((c) => [c.seq, c.stream, c.data])).toEqual([[0, 'stderr', 'a\n'], [1, 'stdout', 'b\n'], [2, 'stdout', 'c\n']]);
      expect(all[0]!.time).toBe('2026-01-01T00:00:00.000Z');
      expect((await store.logs.read(uid, { afterSeq: 0 })).map((c) => c.seq)).toEqual([1, 2]);
      expect((await store.logs.read(uid, { tail: 2 })).map((c) => c.seq)).toEqual([1, 2]);
      expect(await store.logs.read(uniq('other'))).toEqual([]);
      await store.logs.remove(uid);
      expect(await store.logs.read(uid)).toEqual([]);
    });

    it('keeps at most the budget per allocation, dropping the oldest chunks', async () => {
      const { store } = get();
      const uid = uniq('chatty');
      const big = 'x'.repeat(MAX_CHUNK_BYTES);
      const n = Math.ceil(store.logs.maxBytesPerAllocation / MAX_CHUNK_BYTES) + 3;
      for (let seq = 0; seq < n; seq++) await store.logs.append({ uid, project: 'p' }, [{ seq, stream: 'stdout', data: big }]);
      const kept = await store.logs.read(uid);
      expect(kept.length * MAX_CHUNK_BYTES).toBeLessThanOrEqual(store.logs.maxBytesPerAllocation);
      expect(kept.length).toBeGreaterThan(0);
      expect(kept[kept.length - 1]!.seq).toBe(n - 1);
      expect(kept[0]!.seq).toBeGreaterThan(0);
      // Another allocation's budget is its own.
      const quiet = uniq('quiet');
      await store.logs.append({ uid: quiet, project: 'p' }, [{ seq: 0, stream: 'stdout', data: 'hi' }]);
      expect(await store.logs.read(quiet)).toHaveLength(1);
    });

    it('refuses malformed chunks naming the field', async () => {
      const { store } = get();
      const alloc = { uid: uniq('bad'), project: 'p' };
      const bad = [
        { seq: -1, stream: 'stdout', data: 'x' },
        { seq: 1.5, stream: 'stdout', data: 'x' },
        { seq: 0, stream: 'stdin', data: 'x' },
        { seq: 0, stream: 'stdout', data: 'x'.repeat(MAX_CHUNK_BYTES + 1) },
        { seq: 0, stream: 'stdout', data: 'x', time: 'yesterday' },
      ];
      for (const c of bad) {
        const err = await store.logs.append(alloc, [c as never]).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ValidationError);
        expect((err as Error).message).toMatch(/chunks\[0\]\./);
      }
      expect(await store.logs.read(alloc.uid)).toEqual([]);
    });
  });
}
