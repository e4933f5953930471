import { Type, type Static } from '@sinclair/typebox';
import { OpenStatus } from '../common.js';
import type { KindDef } from '../kind.js';

export const PriorityClassSpec = Type.Object(
  {
    value: Type.Integer({ minimum: -1_000_000, maximum: 1_000_000_000 }),
    preemptible: Type.Optional(Type.Boolean()),
    globalDefault: Type.Optional(Type.Boolean()),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);
export type PriorityClassSpec = Static<typeof PriorityClassSpec>;

export const PriorityClassKind: KindDef = {
  kind: 'PriorityClass',
  plural: 'priorityclasses',
  aliases: ['priorityclass', 'pc'],
  scope: 'cluster',
  spec: PriorityClassSpec,
  status: OpenStatus,
  description: 'A named priority value; higher preempts lower.',
};
