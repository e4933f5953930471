import { Type, type Static } from '@sinclair/typebox';
import { MAX_DURATION_SECONDS, OpenStatus } from '../common.js';
import type { KindDef } from '../kind.js';
import { kindNames } from '../kind-names.js';
import { WorkloadFields } from '../workload.js';

export const DevEnvironmentSpec = Type.Object(
  {
    ...WorkloadFields,
    /** Release the GPUs after this long without activity. */
    idleTimeoutSeconds: Type.Optional(Type.Integer({ minimum: 60, maximum: MAX_DURATION_SECONDS })),
    suspend: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type DevEnvironmentSpec = Static<typeof DevEnvironmentSpec>;

export const DevEnvironmentKind: KindDef = { ...kindNames('DevEnvironment'), spec: DevEnvironmentSpec, status: OpenStatus };
