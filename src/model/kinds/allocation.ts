import { Type, type Static } from '@sinclair/typebox';
import { GpuModelName, Isolation, MAX_REPLICAS, Name, OpenStatus } from '../common.js';
import { MAX_CPU_CORES, MAX_MEMORY_BYTES } from '../quantity.js';
import { EnvVar } from '../workload.js';
import { TaskContainerFields } from '../container.js';
import { VmTask } from './virtual-machine.js';
import type { KindDef } from '../kind.js';
import { kindNames, WORKLOAD_KIND_NAMES } from '../kind-names.js';

/** One GPU (or part of one) held by an allocation. */
export const AllocatedGpu = Type.Object(
  {
    index: Type.Integer({ minimum: 0, maximum: 63 }),
    uuid: Type.Optional(Type.String({ maxLength: 128 })),
    model: GpuModelName,
    /** Thousandths of the GPU held: 1000 for a whole GPU, less for a time-sliced share. */
    milli: Type.Integer({ minimum: 1, maximum: 1000 }),
    /** For MIG: the profile and the slices [start, start+size) of the GPU's 7 (or 8) slices. */
    mig: Type.Optional(
      Type.Object(
        { profile: Type.String(), start: Type.Integer({ minimum: 0, maximum: 7 }), size: Type.Integer({ minimum: 1, maximum: 8 }) },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type AllocatedGpu = Static<typeof AllocatedGpu>;

/** What the node agent runs for this replica, copied from the workload when it was placed. */
export const AllocationTask = Type.Object(
  {
    command: Type.Optional(Type.Array(Type.String({ maxLength: 32768 }), { maxItems: 256 })),
    args: Type.Optional(Type.Array(Type.String({ maxLength: 32768 }), { maxItems: 1024 })),
    env: Type.Optional(Type.Array(EnvVar, { maxItems: 1024 })),
    ...TaskContainerFields,
    /** The port a Service replica listens on (the agent passes its own choice as PORT). */
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
    readinessPath: Type.Optional(Type.String({ maxLength: 1024 })),
    /** A VirtualMachine's disk, cloud-init and networks (the vm driver runs it). */
    vm: Type.Optional(VmTask),
  },
  { additionalProperties: false },
);
export type AllocationTask = Static<typeof AllocationTask>;

/** torchrun-style rendezvous of a multi-replica gang: replica 0's node is the master. */
export const AllocationRendezvous = Type.Object(
  {
    worldSize: Type.Integer({ minimum: 1, maximum: MAX_REPLICAS }),
    masterNode: Name,
    masterPort: Type.Integer({ minimum: 1, maximum: 65535 }),
  },
  { additionalProperties: false },
);
export type AllocationRendezvous = Static<typeof AllocationRendezvous>;

export const AllocationSpec = Type.Object(
  {
    workload: Type.Object(
      {
        kind: Type.Union(WORKLOAD_KIND_NAMES.map((k) => Type.Literal(k))),
        name: Name,
        uid: Type.String(),
      },
      { additionalProperties: false },
    ),
    /** Replica index within the gang, 0-based; RANK for distributed training. */
    replica: Type.Integer({ minimum: 0, maximum: MAX_REPLICAS }),
    /** Gang attempt: a restarted gang gets fresh allocations with the next attempt number. */
    attempt: Type.Integer({ minimum: 0, maximum: 1_000_000_000 }),
    node: Name,
    gpus: Type.Array(AllocatedGpu, { maxItems: 64 }),
    cpuMilli: Type.Integer({ minimum: 0, maximum: MAX_CPU_CORES * 1000 }),
    memoryBytes: Type.Integer({ minimum: 0, maximum: MAX_MEMORY_BYTES }),
    isolation: Type.Optional(Isolation),
    provider: Type.Optional(Type.String({ maxLength: 32 })),
    task: Type.Optional(AllocationTask),
    rendezvous: Type.Optional(AllocationRendezvous),
  },
  { additionalProperties: false },
);
export type AllocationSpec = Static<typeof AllocationSpec>;

export { ACTIVE_ALLOCATION_PHASES, TERMINAL_ALLOCATION_PHASES, type AllocationPhase } from '../allocation-rules.js';

export const AllocationKind: KindDef = { ...kindNames('Allocation'), spec: AllocationSpec, status: OpenStatus };
