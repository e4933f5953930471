import { Type, type Static } from '@sinclair/typebox';
import { Name, OpenStatus, ResourceAmounts } from '../common.js';
import type { KindDef } from '../kind.js';
import { kindNames } from '../kind-names.js';

export const QueueSpec = Type.Object(
  {
    parent: Type.Optional(Name),
    project: Type.Optional(Name),
    nominalQuota: Type.Optional(ResourceAmounts),
    borrowingLimit: Type.Optional(ResourceAmounts),
    lendingLimit: Type.Optional(ResourceAmounts),
    weight: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1_000_000, default: 1 })),
  },
  { additionalProperties: false },
);
export type QueueSpec = Static<typeof QueueSpec>;

export const QueueKind: KindDef = { ...kindNames('Queue'), spec: QueueSpec, status: OpenStatus };
