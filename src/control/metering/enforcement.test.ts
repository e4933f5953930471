// Enforcement reads the Budget's status inside the admitting transaction: an exhausted,
// enforcing budget of the current period refuses; anything else lets the workload through.
import { describe, expect, it } from 'vitest';
import { QuotaExceededError } from '../../model/errors.js';
import type { Resource } from '../../model/metadata.js';
import type { StoreTx } from '../../store/types.js';
import { checkBudgets } from './enforcement.js';

function budget(spec: Record<string, unknown>, status: Record<string, unknown>): Resource {
  return {
    apiVersion: 'weft/v1',
    kind: 'Budget',
    metadata: { name: 'monthly', project: 'nlp', uid: 'u', resourceVersion: '1', generation: 1, creationTimestamp: '2026-11-01T00:00:00Z' },
    spec,
    status,
  } as Resource;
}

const txWith = (items: Resource[]): StoreTx => ({ list: async () => ({ items, resourceVersion: '1' }) }) as unknown as StoreTx;

const exhausted = { period: '2026-11', periodEnd: '2026-12-01T00:00:00.000Z', exhausted: true, used: { gpuHours: 3, amount: '5012.40', currency: 'EUR' } };
const now = new Date('2026-11-24T12:00:00Z');

describe('budget enforcement', () => {
  it('refuses new work while an enforcing money budget is exhausted, saying how much was used', async () => {
    const err = await checkBudgets(txWith([budget({ limit: { amount: '5000.00' }, enforce: true }, exhausted)]), 'nlp', now).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QuotaExceededError);
    expect((err as Error).message).toBe(
      'budget "monthly" of project "nlp" is exhausted: EUR 5012.40 of EUR 5000.00 used this month; running work continues, new work is refused until the period ends (2026-12-01T00:00:00.000Z) or the budget is raised',
    );
  });

  it('lets work through when the budget does not enforce, is not exhausted, or its period is over', async () => {
    await checkBudgets(txWith([budget({ limit: { amount: '5000.00' } }, exhausted)]), 'nlp', now);
    await checkBudgets(txWith([budget({ limit: { amount: '5000.00' }, enforce: true }, { ...exhausted, exhausted: false })]), 'nlp', now);
    await checkBudgets(txWith([budget({ limit: { amount: '5000.00' }, enforce: true }, exhausted)]), 'nlp', new Date('2026-12-01T00:00:01Z'));
    await checkBudgets(txWith([budget({ limit: { amount: '5000.00' }, enforce: true }, {})]), 'nlp', now);
  });
});
