import { Type, type Static } from '@sinclair/typebox';
import { Isolation, OpenStatus } from '../common.js';
import type { KindDef } from '../kind.js';
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

export const DataClassKind: KindDef = {
  kind: 'DataClass',
  plural: 'dataclasses',
  aliases: ['dataclass', 'dc'],
  scope: 'cluster',
  spec: DataClassSpec,
  status: OpenStatus,
  description:
    'A class of data (public, internal, restricted are built in; define more, or configure those): the isolation tier and the countries and sites its work needs.',
};
