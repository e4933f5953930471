// The scheduling request every workload reduces to: a gang of identical replicas.
import { Type, type Static } from '@sinclair/typebox';
import { CpuQuantity, GpuModelName, Isolation, MAX_REPLICAS, MemoryQuantity, Name } from './common.js';
import { ContainerFields } from './container.js';
import { SECRET_KEY_PATTERN } from './kinds/secret.js';

/** Exactly one of count (whole GPUs), share (fraction of one GPU) or mig (a MIG profile). */
export const GpuRequest = Type.Union(
  [
    Type.Object(
      { count: Type.Integer({ minimum: 0, maximum: 64 }), models: Type.Optional(Type.Array(GpuModelName, { minItems: 1 })) },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        share: Type.Number({ exclusiveMinimum: 0, maximum: 1, description: 'fraction of one GPU, e.g. 0.25' }),
        models: Type.Optional(Type.Array(GpuModelName, { minItems: 1 })),
      },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        mig: Type.String({ pattern: '^[1-9]g\\.[0-9]+gb(\\+me)?$', description: 'MIG profile, e.g. 1g.10gb' }),
        models: Type.Optional(Type.Array(GpuModelName, { minItems: 1 })),
      },
      { additionalProperties: false },
    ),
  ],
  { description: '{count: N} whole GPUs, {share: 0.25} of one GPU, or {mig: "1g.10gb"}' },
);
export type GpuRequest = Static<typeof GpuRequest>;

export const ReplicaResources = Type.Object(
  {
    cpu: Type.Optional(CpuQuantity),
    memory: Type.Optional(MemoryQuantity),
    gpu: Type.Optional(GpuRequest),
  },
  { additionalProperties: false },
);
export type ReplicaResources = Static<typeof ReplicaResources>;

export const Gang = Type.Object({ minAvailable: Type.Integer({ minimum: 1, maximum: MAX_REPLICAS }) }, { additionalProperties: false });

export const Topology = Type.Object(
  {
    within: Type.Union([Type.Literal('nvlink-domain'), Type.Literal('rack'), Type.Literal('site')]),
    mode: Type.Union([Type.Literal('required'), Type.Literal('preferred')]),
  },
  { additionalProperties: false },
);

export const Placement = Type.Object(
  {
    sites: Type.Optional(Type.Array(Name)),
    countries: Type.Optional(Type.Array(Type.String({ pattern: '^[A-Z]{2}$' }))),
  },
  { additionalProperties: false },
);

/** A value taken from a Secret of the workload's project, delivered only to the node that runs it. */
export const SecretKeyRef = Type.Object(
  { name: Name, key: Type.String({ pattern: SECRET_KEY_PATTERN, description: 'the name of a value in the Secret' }) },
  { additionalProperties: false },
);

/** `{name, value}`, or `{name, valueFrom: {secretKeyRef: {name, key}}}` (admission: exactly one of the two). */
export const EnvVar = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$', maxLength: 256 }),
    value: Type.Optional(Type.String({ maxLength: 32768 })),
    valueFrom: Type.Optional(Type.Object({ secretKeyRef: SecretKeyRef }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);
export type EnvVar = Static<typeof EnvVar>;

/** Fields every workload kind shares. */
export const WorkloadFields = {
  resources: ReplicaResources,
  gang: Type.Optional(Gang),
  topology: Type.Optional(Topology),
  isolation: Type.Optional(Isolation),
  priorityClass: Type.Optional(Name),
  queue: Type.Optional(Name),
  placement: Type.Optional(Placement),
  /** Run in this Reservation of the project: only on its booked capacity, only during its window. */
  reservation: Type.Optional(Name),
  /** Run from an OCI image (container.ts) instead of a host command. */
  ...ContainerFields,
  command: Type.Optional(Type.Array(Type.String({ maxLength: 32768 }), { maxItems: 256 })),
  args: Type.Optional(Type.Array(Type.String({ maxLength: 32768 }), { maxItems: 1024 })),
  env: Type.Optional(Type.Array(EnvVar, { maxItems: 1024 })),
  /** Seconds a replica gets between SIGTERM and SIGKILL when it is stopped (preemption, drain, delete). */
  terminationGracePeriodSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400 })),
};
