// What a replica needs to run from an OCI image instead of a host command: the image reference
// and the fields that only mean something inside a container. One source for the workload kinds'
// schema, the Allocation's task and the checks the schema cannot express.
import { Type, type Static } from '@sinclair/typebox';
import { MemoryQuantity, Name } from './common.js';
import type { FieldIssue } from './errors.js';

// An image reference as registries name them: [host[:port]/]path[:tag][@digest]. As in Docker's
// grammar, a first part is a host only if it has a dot or a port or is localhost; path
// components are lower case, separated by ".", "_", "__" or dashes.
const LABEL = '[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?';
const HOST = `(?:(?:localhost|${LABEL}(?:\\.${LABEL})+)(?::[0-9]{1,5})?/|${LABEL}:[0-9]{1,5}/)?`;
const COMPONENT = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*';
const TAG = '(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?';
const DIGEST = '(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?';
export const IMAGE_REFERENCE_PATTERN = `^${HOST}${COMPONENT}(?:/${COMPONENT})*${TAG}${DIGEST}$`;

export const ImageReference = Type.String({
  maxLength: 1024,
  pattern: IMAGE_REFERENCE_PATTERN,
  description: 'an image reference such as "registry.example.com:5000/team/train:v3" (lower-case path, optional :tag and @sha256:digest)',
});

export const IMAGE_PULL_POLICIES = ['IfNotPresent', 'Always', 'Never'] as const;
export type ImagePullPolicy = (typeof IMAGE_PULL_POLICIES)[number];
export const ImagePullPolicy = Type.Union(IMAGE_PULL_POLICIES.map((p) => Type.Literal(p)), {
  description: 'IfNotPresent (the default), Always or Never',
});

export const ContainerPort = Type.Object(
  {
    containerPort: Type.Integer({ minimum: 1, maximum: 65535 }),
    protocol: Type.Optional(Type.Union([Type.Literal('TCP'), Type.Literal('UDP')])),
    name: Type.Optional(Type.String({ pattern: '^[a-z0-9]([-a-z0-9]{0,13}[a-z0-9])?$', description: 'a lower-case name of at most 15 characters' })),
  },
  { additionalProperties: false },
);
export type ContainerPort = Static<typeof ContainerPort>;

export const AbsolutePath = Type.String({ maxLength: 4096, pattern: '^/', description: 'an absolute path inside the container, e.g. /workspace' });

export const VolumeMount = Type.Object(
  { name: Name, mountPath: AbsolutePath, readOnly: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);
export type VolumeMount = Static<typeof VolumeMount>;

/** The container fields of a workload spec (Job, Service, DevEnvironment). */
export const ContainerFields = {
  image: Type.Optional(ImageReference),
  imagePullPolicy: Type.Optional(ImagePullPolicy),
  workingDir: Type.Optional(AbsolutePath),
  ports: Type.Optional(Type.Array(ContainerPort, { maxItems: 64 })),
  /** Size of /dev/shm (PyTorch's data loaders and NCCL use it); the engine's default otherwise. */
  shmSize: Type.Optional(MemoryQuantity),
  /** RegistryAuth Secrets of the project to pull the image with. */
  imagePullSecrets: Type.Optional(Type.Array(Type.Object({ name: Name }, { additionalProperties: false }), { maxItems: 16 })),
  /** Volumes of the project mounted into the container (read-write unless readOnly). */
  volumeMounts: Type.Optional(Type.Array(VolumeMount, { maxItems: 32 })),
};

/** The container fields as the agent receives them on an Allocation's task (sizes in bytes). */
export const TaskContainerFields = {
  image: Type.Optional(Type.String({ maxLength: 1024 })),
  imagePullPolicy: Type.Optional(ImagePullPolicy),
  workingDir: Type.Optional(Type.String({ maxLength: 4096 })),
  ports: Type.Optional(Type.Array(ContainerPort, { maxItems: 64 })),
  shmSizeBytes: Type.Optional(Type.Integer({ minimum: 0 })),
  imagePullSecrets: Type.Optional(Type.Array(Type.Object({ name: Name }, { additionalProperties: false }), { maxItems: 16 })),
  /** Volume mounts with the host path each volume has (resolved when the replica was placed). */
  volumes: Type.Optional(Type.Array(Type.Object({ name: Name, hostPath: Type.String({ maxLength: 4096 }), mountPath: Type.String({ maxLength: 4096 }), readOnly: Type.Boolean() }, { additionalProperties: false }), { maxItems: 32 })),
};

export interface ContainerSpec {
  image?: string;
  imagePullPolicy?: string;
  workingDir?: string;
  ports?: ContainerPort[];
  shmSize?: string | number;
  imagePullSecrets?: { name: string }[];
  volumeMounts?: VolumeMount[];
}

/** The container-only fields a spec sets, in the order a reader meets them. */
const CONTAINER_ONLY: (keyof ContainerSpec)[] = ['imagePullPolicy', 'imagePullSecrets', 'workingDir', 'ports', 'shmSize', 'volumeMounts'];

/**
 * What the schema cannot say: container-only fields need an image, and ports are distinct.
 * (A workload with neither image nor command is left to the agent, which reports it.)
 */
export function containerSpecIssues(spec: ContainerSpec): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (spec.image === undefined) {
    for (const f of CONTAINER_ONLY) {
      if (spec[f] !== undefined) issues.push({ field: `spec.${f}`, message: 'applies only to a container: set spec.image too' });
    }
  }
  const seen = new Map<string, number>();
  (spec.ports ?? []).forEach((p, i) => {
    const key = `${p.containerPort}/${p.protocol ?? 'TCP'}`;
    const first = seen.get(key);
    if (first !== undefined) issues.push({ field: `spec.ports.${i}.containerPort`, message: `${key} is already listed at spec.ports.${first}` });
    else seen.set(key, i);
  });
  const mounted = new Map<string, number>();
  (spec.volumeMounts ?? []).forEach((m, i) => {
    const first = mounted.get(m.mountPath);
    if (first !== undefined) issues.push({ field: `spec.volumeMounts.${i}.mountPath`, message: `${m.mountPath} is already mounted by spec.volumeMounts.${first}` });
    else mounted.set(m.mountPath, i);
  });
  return issues;
}
