// Schema building blocks shared by several kinds.
import { Type, type Static } from '@sinclair/typebox';
import { CPU_PATTERN, MAX_CPU_CORES, MEMORY_PATTERN } from './quantity.js';

/** DNS-label-like names: safe in URLs, labels, file names and SQL without escaping games. */
export const NAME_PATTERN = '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$';
export const Name = Type.String({ pattern: NAME_PATTERN, maxLength: 63, description: 'lower-case letters, digits and "-", 1-63 chars' });

// `quantity` marks the schema for the bounds check in validate.ts (quantity.ts holds the limits).
export const CpuQuantity = Type.Union([Type.String({ pattern: CPU_PATTERN }), Type.Number({ minimum: 0 })], {
  description: `cores ("16", "2.5") or milli-cores ("500m"), at most ${MAX_CPU_CORES} cores`,
  quantity: 'cpu',
});
export const MemoryQuantity = Type.Union([Type.String({ pattern: MEMORY_PATTERN }), Type.Number({ minimum: 0 })], {
  description: 'bytes, or with a suffix ("128Gi", "512Mi"), at most 4Pi',
  quantity: 'memory',
});

/** Upper bound of every duration in seconds a spec holds (timeouts, deadlines, TTLs): one year. */
export const MAX_DURATION_SECONDS = 366 * 24 * 3600;
/** Upper bound of replica counts, gang sizes and rollout steps. */
export const MAX_REPLICAS = 10_000;

/** GPU model names from the catalog, e.g. "H100-80GB"; free text so fleets can add models. */
export const GpuModelName = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' });

/** A GPU model name, or "*" for all GPUs whatever the model. */
const GpuQuotaKey = Type.String({ pattern: '^(\\*|[A-Za-z0-9][A-Za-z0-9._-]*)$' });

/** Per-resource amounts, used for quotas and queue limits. */
export const ResourceAmounts = Type.Object(
  {
    gpu: Type.Optional(
      Type.Record(GpuQuotaKey, Type.Integer({ minimum: 0, maximum: 1_000_000 }), { description: 'whole GPUs per model; "*" for any model', additionalProperties: false }),
    ),
    cpu: Type.Optional(CpuQuantity),
    memory: Type.Optional(MemoryQuantity),
  },
  { additionalProperties: false },
);
export type ResourceAmounts = Static<typeof ResourceAmounts>;

export const Isolation = Type.Union(
  [Type.Literal('shared'), Type.Literal('mig'), Type.Literal('dedicated'), Type.Literal('exclusive-node')],
  { description: 'how hard the tenant boundary is' },
);
export type Isolation = Static<typeof Isolation>;

export const Condition = Type.Object({
  type: Type.String(),
  status: Type.Union([Type.Literal('True'), Type.Literal('False'), Type.Literal('Unknown')]),
  reason: Type.Optional(Type.String()),
  message: Type.Optional(Type.String()),
  lastTransitionTime: Type.Optional(Type.String()),
});
export type Condition = Static<typeof Condition>;

/** Status is written by controllers; its shape is open so controllers can evolve it. */
export const OpenStatus = Type.Record(Type.String(), Type.Unknown());
