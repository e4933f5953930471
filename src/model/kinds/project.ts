import { Type, type Static } from '@sinclair/typebox';
import { Isolation, Name, OpenStatus, ResourceAmounts } from '../common.js';
import type { KindDef } from '../kind.js';
import { DATA_RESIDENCY_FIELDS } from '../residency.js';
import { kindNames } from '../kind-names.js';

export const ProjectSpec = Type.Object(
  {
    displayName: Type.Optional(Type.String({ maxLength: 200 })),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    quota: Type.Optional(ResourceAmounts),
    // dataClass, allowedCountries, allowedSites: where this project's work may run (docs/policy.md).
    ...DATA_RESIDENCY_FIELDS,
    defaultQueue: Type.Optional(Name),
    defaultIsolation: Type.Optional(Isolation),
    /** Whether this project's `shared` work may share a GPU with other projects' shared work. */
    allowGpuSharing: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type ProjectSpec = Static<typeof ProjectSpec>;

export const ProjectKind: KindDef = { ...kindNames('Project'), spec: ProjectSpec, status: OpenStatus };
