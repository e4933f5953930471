import { Type, type Static } from '@sinclair/typebox';
import { OpenStatus } from '../common.js';
import type { KindDef } from '../kind.js';
import { kindNames } from '../kind-names.js';

export const SiteSpec = Type.Object(
  {
    region: Type.Optional(Type.String({ maxLength: 63 })),
    zone: Type.Optional(Type.String({ maxLength: 63 })),
    country: Type.Optional(Type.String({ pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2' })),
    jurisdiction: Type.Optional(Type.String({ maxLength: 63, description: 'e.g. EU' })),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);
export type SiteSpec = Static<typeof SiteSpec>;

export const SiteKind: KindDef = { ...kindNames('Site'), spec: SiteSpec, status: OpenStatus };
