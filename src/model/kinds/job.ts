import { Type, type Static } from '@sinclair/typebox';
import { MAX_DURATION_SECONDS, MAX_REPLICAS, OpenStatus } from '../common.js';
import type { KindDef } from '../kind.js';
import { kindNames } from '../kind-names.js';
import { WorkloadFields } from '../workload.js';

export const JobSpec = Type.Object(
  {
    replicas: Type.Integer({ minimum: 1, maximum: MAX_REPLICAS, default: 1 }),
    ...WorkloadFields,
    restartPolicy: Type.Optional(Type.Union([Type.Literal('Never'), Type.Literal('OnFailure')])),
    backoffLimit: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
    activeDeadlineSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_DURATION_SECONDS })),
    ttlSecondsAfterFinished: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_DURATION_SECONDS })),
    /** Declared upper bound on runtime; lets backfill plan around this job. */
    maxRuntimeSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_DURATION_SECONDS })),
    suspend: Type.Optional(Type.Boolean()),
    checkpoint: Type.Optional(
      Type.Object(
        {
          intervalSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_DURATION_SECONDS })),
          lastCheckpointTime: Type.Optional(Type.String({ format: 'date-time' })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type JobSpec = Static<typeof JobSpec>;

export const JobKind: KindDef = { ...kindNames('Job'), spec: JobSpec, status: OpenStatus };
