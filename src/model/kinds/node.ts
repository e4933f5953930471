import { Type, type Static } from '@sinclair/typebox';
import { CpuQuantity, GpuModelName, MemoryQuantity, Name, OpenStatus } from '../common.js';
import type { KindDef } from '../kind.js';
import { kindNames } from '../kind-names.js';

export const NodeGpu = Type.Object(
  {
    index: Type.Integer({ minimum: 0, maximum: 63 }),
    uuid: Type.Optional(Type.String({ maxLength: 128 })),
    model: GpuModelName,
    memory: Type.Optional(MemoryQuantity),
    migEnabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const Taint = Type.Object(
  {
    key: Type.String({ maxLength: 253 }),
    value: Type.Optional(Type.String({ maxLength: 63 })),
    effect: Type.Union([Type.Literal('NoSchedule'), Type.Literal('PreferNoSchedule'), Type.Literal('NoExecute')]),
  },
  { additionalProperties: false },
);

export const NodeSpec = Type.Object(
  {
    site: Type.Optional(Name),
    rack: Type.Optional(Type.String({ maxLength: 63 })),
    nvlinkDomain: Type.Optional(Type.String({ maxLength: 63 })),
    cpu: CpuQuantity,
    memory: MemoryQuantity,
    gpus: Type.Optional(Type.Array(NodeGpu, { maxItems: 64 })),
    unschedulable: Type.Optional(Type.Boolean()),
    taints: Type.Optional(Type.Array(Taint)),
    provider: Type.Optional(Type.Union([Type.Literal('agent'), Type.Literal('sim'), Type.Literal('kubernetes'), Type.Literal('slurm')])),
  },
  { additionalProperties: false },
);
export type NodeSpec = Static<typeof NodeSpec>;

export { DRAIN_ANNOTATION } from '../annotations.js';

export const NodeKind: KindDef = { ...kindNames('Node'), spec: NodeSpec, status: OpenStatus };
