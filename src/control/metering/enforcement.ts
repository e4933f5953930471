// Budget enforcement at admission: while an enforcing Budget of the project is exhausted for
// the current period, new workloads are refused. Running work continues, and updates to existing
// workloads pass, so nothing already admitted is stranded. It reads the Budget's status, which
// the budget controller keeps current, inside the admitting transaction.
import { QuotaExceededError } from '../../model/errors.js';
import type { BudgetPeriod, BudgetSpec, BudgetStatus } from '../../model/kinds/budget.js';
import type { StoreTx } from '../../store/types.js';
import { periodWord } from './budget.js';

export async function checkBudgets(tx: StoreTx, project: string, now: Date): Promise<void> {
  const { items } = await tx.list('Budget', { project });
  for (const b of items) {
    const spec = b.spec as unknown as BudgetSpec;
    const st = b.status as Partial<BudgetStatus> | undefined;
    if (!spec.enforce || !st?.exhausted || !st.periodEnd || Date.parse(st.periodEnd) <= now.getTime()) continue;
    const used = 'amount' in spec.limit ? `${st.used?.currency ?? ''} ${st.used?.amount ?? '?'} of ${st.used?.currency ?? ''} ${spec.limit.amount}`.trim() : `${st.used?.gpuHours ?? '?'} of ${spec.limit.gpuHours} GPU-hours`;
    const message = `budget "${b.metadata.name}" of project "${project}" is exhausted: ${used} used ${periodWord((spec.period ?? 'month') as BudgetPeriod)}; running work continues, new work is refused until the period ends (${st.periodEnd}) or the budget is raised`;
    throw new QuotaExceededError(message, [{ field: 'metadata.project', message: `budget "${b.metadata.name}" exhausted` }]);
  }
}
