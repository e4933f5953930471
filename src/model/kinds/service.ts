import { Type, type Static } from '@sinclair/typebox';
import { MAX_REPLICAS, OpenStatus } from '../common.js';
import type { KindDef } from '../kind.js';
import { kindNames } from '../kind-names.js';
import { WorkloadFields } from '../workload.js';

/**
 * Autoscaling: desired = ceil(load / target) per replica, where load is the requests in flight at
 * the gateway and, when set, a custom metric pushed to the Service (the larger recommendation
 * wins); stabilisation windows damp flapping like the Kubernetes HPA's behaviour.
 */
export const ServiceAutoscaling = Type.Object(
  {
    /** Requests in flight per replica to aim for (default 4). */
    targetInFlight: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1_000_000 })),
    /** A pushed metric (POST …/services/{name}/metrics): the service-wide value and its per-replica target. */
    metric: Type.Optional(
      Type.Object(
        {
          name: Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z_][A-Za-z0-9_.:-]*$' }),
          target: Type.Number({ exclusiveMinimum: 0, maximum: 1e12 }),
        },
        { additionalProperties: false },
      ),
    ),
    /** Scale up only to the lowest recommendation of this window (default 0: at once). */
    scaleUpStabilizationSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 3600 })),
    /** Scale down only to the highest recommendation of this window (default 300). */
    scaleDownStabilizationSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 3600 })),
    /** With replicas.min 0: scale to zero after this long without load; unset = never to zero. */
    scaleToZeroAfterSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400 })),
  },
  { additionalProperties: false },
);
export type ServiceAutoscaling = Static<typeof ServiceAutoscaling>;

export const ServiceSpec = Type.Object(
  {
    ...WorkloadFields,
    replicas: Type.Optional(
      Type.Object(
        { min: Type.Integer({ minimum: 0, maximum: MAX_REPLICAS }), max: Type.Integer({ minimum: 1, maximum: MAX_REPLICAS }) },
        { additionalProperties: false },
      ),
    ),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
    readiness: Type.Optional(
      Type.Object(
        {
          path: Type.Optional(Type.String({ maxLength: 1024 })),
          initialDelaySeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 3600 })),
          periodSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600 })),
        },
        { additionalProperties: false },
      ),
    ),
    /** Scale between replicas.min and replicas.max on load seen by the gateway (docs/serving.md). */
    autoscaling: Type.Optional(ServiceAutoscaling),
    rollout: Type.Optional(
      Type.Object(
        { maxSurge: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_REPLICAS })), maxUnavailable: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_REPLICAS })) },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type ServiceSpec = Static<typeof ServiceSpec>;

export const ServiceKind: KindDef = { ...kindNames('Service'), spec: ServiceSpec, status: OpenStatus };
