import { Type, type Static } from '@sinclair/typebox';
import { OpenStatus } from '../common.js';
import type { KindDef } from '../kind.js';
import { WorkloadFields } from '../workload.js';

export const ServiceSpec = Type.Object(
  {
    ...WorkloadFields,
    replicas: Type.Optional(
      Type.Object(
        { min: Type.Integer({ minimum: 0, maximum: 10_000 }), max: Type.Integer({ minimum: 1, maximum: 10_000 }) },
        { additionalProperties: false },
      ),
    ),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
    readiness: Type.Optional(
      Type.Object(
        {
          path: Type.Optional(Type.String({ maxLength: 1024 })),
          initialDelaySeconds: Type.Optional(Type.Integer({ minimum: 0 })),
          periodSeconds: Type.Optional(Type.Integer({ minimum: 1 })),
        },
        { additionalProperties: false },
      ),
    ),
    rollout: Type.Optional(
      Type.Object(
        { maxSurge: Type.Optional(Type.Integer({ minimum: 0 })), maxUnavailable: Type.Optional(Type.Integer({ minimum: 0 })) },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type ServiceSpec = Static<typeof ServiceSpec>;

export const ServiceKind: KindDef = {
  kind: 'Service',
  plural: 'services',
  aliases: ['service', 'svc'],
  scope: 'project',
  spec: ServiceSpec,
  status: OpenStatus,
  description: 'An inference endpoint: between min and max replicas, readiness, rolling updates.',
};
