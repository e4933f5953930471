import { Type, type Static } from '@sinclair/typebox';
import { Isolation, OpenStatus } from '../common.js';
import type { KindDef } from '../kind.js';
import { kindNames } from '../kind-names.js';
import { DATA_RESIDENCY_FIELDS } from '../residency.js';

export const DataClassSpec = Type.Object(
  {
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    /** Work on data of this class runs at this isolation tier or a stronger one. */
    minIsolation: Type.Optional(Isolation),
    allowedCountries: DATA_RESIDENCY_FIELDS.allowedCountries,
    allowedSites: DATA_RESIDENCY_FIELDS.allowedSites,
  },
  { additionalProperties: false },
);
export type DataClassSpec = Static<typeof DataClassSpec>;

export const DataClassKind: KindDef = { ...kindNames('DataClass'), spec: DataClassSpec, status: OpenStatus };
