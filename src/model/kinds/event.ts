import { Type, type Static } from '@sinclair/typebox';
import { OpenStatus } from '../common.js';
import type { KindDef } from '../kind.js';
import { kindNames } from '../kind-names.js';

export const EventSpec = Type.Object(
  {
    type: Type.Union([Type.Literal('Normal'), Type.Literal('Warning')]),
    reason: Type.String({ maxLength: 128 }),
    message: Type.String({ maxLength: 4096 }),
    involvedObject: Type.Object(
      { kind: Type.String(), name: Type.String(), project: Type.Optional(Type.String()), uid: Type.Optional(Type.String()) },
      { additionalProperties: false },
    ),
    count: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })),
    firstTimestamp: Type.Optional(Type.String()),
    lastTimestamp: Type.Optional(Type.String()),
    source: Type.Optional(Type.String({ maxLength: 128 })),
  },
  { additionalProperties: false },
);
export type EventSpec = Static<typeof EventSpec>;

export { SYSTEM_PROJECT } from '../kind-names.js';

export const EventKind: KindDef = { ...kindNames('Event'), spec: EventSpec, status: OpenStatus };
