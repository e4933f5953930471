import { Type, type Static } from '@sinclair/typebox';
import { MemoryQuantity, Name, OpenStatus } from '../common.js';
import type { FieldIssue } from '../errors.js';
import type { KindDef } from '../kind.js';
import { kindNames } from '../kind-names.js';
import { Placement, ReplicaResources } from '../workload.js';
import { Isolation } from '../common.js';
import { IMAGE_FORMATS } from './image.js';
import { POWER_ANNOTATION } from '../annotations.js';

export const RUN_STRATEGIES = ['Always', 'RerunOnFailure', 'Manual', 'Halted'] as const;
export type RunStrategy = (typeof RUN_STRATEGIES)[number];

/** The power annotations (`weft start|stop|restart vm`) live in annotations.ts, which the console may import. */
export { POWER_ANNOTATION, RESTART_ANNOTATION } from '../annotations.js';

const NetworkAttachment = Type.Object(
  {
    /** A Network of the VM's project (bridge + VXLAN on the nodes). */
    network: Type.Optional(Name),
    /** QEMU's user-mode networking: no bridge, outbound only, SSH forwarded from a loopback port of the node. */
    userMode: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const VirtualMachineSpec = Type.Object(
  {
    /** cpu: vCPUs (whole), memory: guest RAM, gpu: whole GPUs ({count}) or a MIG profile ({mig}). */
    resources: ReplicaResources,
    rootDisk: Type.Object(
      {
        image: Name,
        /** The overlay's virtual size; at least the image's. */
        size: Type.Optional(MemoryQuantity),
      },
      { additionalProperties: false },
    ),
    /** Blank qcow2 disks, attached in this order after the root disk. */
    disks: Type.Optional(Type.Array(Type.Object({ name: Name, size: MemoryQuantity }, { additionalProperties: false }), { maxItems: 16 })),
    cloudInit: Type.Optional(
      Type.Object(
        {
          /** cloud-init user data as the guest reads it from the NoCloud seed (#cloud-config or a script). */
          userData: Type.Optional(Type.String({ maxLength: 65536 })),
        },
        { additionalProperties: false },
      ),
    ),
    /** SSH public keys put into the guest's meta-data (public-keys) for its default user. */
    sshKeys: Type.Optional(Type.Array(Type.String({ maxLength: 16384, pattern: '^(ssh|ecdsa|sk)-[A-Za-z0-9@.-]+ [A-Za-z0-9+/=]+( .*)?$' }), { maxItems: 64 })),
    /** One NIC each, in order; none given: one user-mode NIC. */
    networks: Type.Optional(Type.Array(NetworkAttachment, { maxItems: 8 })),
    runStrategy: Type.Optional(Type.Union(RUN_STRATEGIES.map((r) => Type.Literal(r)), { description: 'Always (default), RerunOnFailure, Manual or Halted' })),
    isolation: Type.Optional(Isolation),
    priorityClass: Type.Optional(Name),
    queue: Type.Optional(Name),
    placement: Type.Optional(Placement),
    /** Seconds the guest gets after the ACPI power button before QEMU is stopped hard. */
    terminationGracePeriodSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400 })),
  },
  { additionalProperties: false },
);
export type VirtualMachineSpec = Static<typeof VirtualMachineSpec>;

/** A NIC as the node agent gets it: on a Network, with the address placement gave it and what builds the network. */
export const VmTaskNic = Type.Object(
  {
    network: Type.Optional(Name),
    userMode: Type.Optional(Type.Boolean()),
    mac: Type.Optional(Type.String({ pattern: '^([0-9a-f]{2}:){5}[0-9a-f]{2}$' })),
    ip: Type.Optional(Type.String({ maxLength: 15 })),
    subnet: Type.Optional(Type.String({ maxLength: 18 })),
    vni: Type.Optional(Type.Integer({ minimum: 1, maximum: 16_777_215 })),
  },
  { additionalProperties: false },
);
export type VmTaskNic = Static<typeof VmTaskNic>;

/** What the node agent gets on the Allocation's task to run a VM (sizes in bytes, the Image resolved). */
export const VmTask = Type.Object(
  {
    image: Type.Object(
      {
        name: Name,
        project: Name,
        /** An http(s) URL, or for an uploaded Image the API path the node fetches it from with its credential. */
        url: Type.String({ maxLength: 4096 }),
        upload: Type.Optional(Type.Literal(true)),
        checksum: Type.String({ maxLength: 80 }),
        format: Type.Union(IMAGE_FORMATS.map((f) => Type.Literal(f))),
      },
      { additionalProperties: false },
    ),
    rootDiskBytes: Type.Optional(Type.Integer({ minimum: 0 })),
    disks: Type.Optional(Type.Array(Type.Object({ name: Name, sizeBytes: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }), { maxItems: 16 })),
    userData: Type.Optional(Type.String({ maxLength: 65536 })),
    sshKeys: Type.Optional(Type.Array(Type.String({ maxLength: 16384 }), { maxItems: 64 })),
    hostname: Name,
    networks: Type.Array(VmTaskNic, { maxItems: 8 }),
  },
  { additionalProperties: false },
);
export type VmTask = Static<typeof VmTask>;

/** A VM's GPUs are whole (passthrough) or a MIG device; its isolation at least dedicated. */
export function vmSpecIssues(spec: VirtualMachineSpec): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const gpu = spec.resources.gpu;
  if (gpu && 'share' in gpu) issues.push({ field: 'spec.resources.gpu.share', message: 'a VM takes whole GPUs ({count: N}) or a MIG profile ({mig: "1g.10gb"}), not a time-sliced share' });
  if (spec.isolation === 'shared' || spec.isolation === 'mig') issues.push({ field: 'spec.isolation', message: `a VM runs at isolation dedicated or exclusive-node, not ${spec.isolation}` });
  const cpu = spec.resources.cpu;
  if (cpu !== undefined && !/^\d+$/.test(String(cpu))) issues.push({ field: 'spec.resources.cpu', message: `vCPUs are whole: ${String(cpu)} is not a whole number` });
  (spec.networks ?? []).forEach((n, i) => {
    if ((n.network === undefined) === (n.userMode !== true)) issues.push({ field: `spec.networks.${i}`, message: 'give exactly one of network (a Network of the project) or userMode: true' });
  });
  const names = new Set<string>();
  (spec.disks ?? []).forEach((d, i) => {
    if (names.has(d.name)) issues.push({ field: `spec.disks.${i}.name`, message: `disk "${d.name}" is listed twice` });
    names.add(d.name);
  });
  return issues;
}

/** Whether the VM should be running now, from its runStrategy (and, for Manual, the power annotation). */
export function vmWantsRunning(spec: Pick<VirtualMachineSpec, 'runStrategy'>, annotations: Record<string, string> | undefined): boolean {
  const strategy = spec.runStrategy ?? 'Always';
  if (strategy === 'Halted') return false;
  if (strategy === 'Manual') return annotations?.[POWER_ANNOTATION] === 'On';
  return true;
}

export const VirtualMachineKind: KindDef = { ...kindNames('VirtualMachine'), spec: VirtualMachineSpec, status: OpenStatus };
