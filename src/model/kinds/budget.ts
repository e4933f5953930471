import { Type, type Static } from '@sinclair/typebox';
import { OpenStatus } from '../common.js';
import type { KindDef } from '../kind.js';
import { kindNames } from '../kind-names.js';
import { Decimal } from './price-book.js';

export const BUDGET_PERIODS = ['day', 'week', 'month'] as const;
export type BudgetPeriod = (typeof BUDGET_PERIODS)[number];

export const BudgetSpec = Type.Object(
  {
    /** Calendar period in UTC (weeks start on Monday); default month. */
    period: Type.Optional(Type.Union(BUDGET_PERIODS.map((p) => Type.Literal(p)))),
    /** GPU-hours (whole-GPU equivalents: a MIG instance or a share counts its fraction) or money. */
    limit: Type.Union([
      Type.Object({ gpuHours: Type.Number({ exclusiveMinimum: 0, maximum: 1e9 }) }, { additionalProperties: false }),
      Type.Object({ amount: Decimal }, { additionalProperties: false }),
    ]),
    /** Percentages of the limit at which an alert goes out, once per period each. */
    thresholds: Type.Optional(Type.Array(Type.Integer({ minimum: 1, maximum: 1000 }), { maxItems: 20, default: [50, 80, 100] })),
    /** POSTed a JSON alert at each threshold (bounded timeout, retried). */
    webhook: Type.Optional(Type.Object({ url: Type.String({ pattern: '^https?://[^\\s]+$', maxLength: 2048, description: 'an http:// or https:// URL' }) }, { additionalProperties: false })),
    /** When the limit is used up, refuse new workloads in the project; running work continues. */
    enforce: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type BudgetSpec = Static<typeof BudgetSpec>;

/** What the budget controller writes. */
export interface BudgetStatus {
  period: string;
  periodStart: string;
  periodEnd: string;
  used: { gpuHours: number; amount: string; currency: string };
  /** Percent of the limit used, two decimals. */
  percent: number;
  /** Thresholds already alerted in this period. */
  alerted: number[];
  exhausted: boolean;
  lastEvaluated: string;
  webhook?: { lastStatus: string; lastAttempt: string };
}

export const BudgetKind: KindDef = { ...kindNames('Budget'), spec: BudgetSpec, status: OpenStatus };
