import { Type, type Static } from '@sinclair/typebox';
import { OpenStatus } from '../common.js';
import type { KindDef } from '../kind.js';
import { kindNames } from '../kind-names.js';

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

export const PriorityClassKind: KindDef = { ...kindNames('PriorityClass'), spec: PriorityClassSpec, status: OpenStatus };
