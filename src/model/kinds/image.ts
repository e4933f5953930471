import { Type, type Static } from '@sinclair/typebox';
import { Name, OpenStatus } from '../common.js';
import type { KindDef } from '../kind.js';
import { kindNames } from '../kind-names.js';

export const IMAGE_FORMATS = ['qcow2', 'raw'] as const;
export type ImageFormat = (typeof IMAGE_FORMATS)[number];

/** `sha256:` and 64 hex digits: what a node checks the downloaded bytes against before using them. */
export const IMAGE_CHECKSUM_PATTERN = '^sha256:[0-9a-f]{64}$';

/**
 * A bootable disk for VirtualMachines. Nodes download it once into their image cache (checking
 * the checksum before any VM uses it) and give each VM a copy-on-write qcow2 overlay on top.
 * An Image in the weft-system project with `public: true` serves every project.
 */
export const ImageSpec = Type.Object(
  {
    /** Exactly one of: a URL the nodes download from, or `upload: true` (the disk is uploaded to the server: `weft image upload`). */
    source: Type.Object(
      {
        url: Type.Optional(Type.String({ maxLength: 4096, pattern: '^https?://[^\\s]+$', description: 'an http:// or https:// URL the node agents download the disk from' })),
        upload: Type.Optional(Type.Literal(true, { description: 'the disk is uploaded to the server (PUT …/images/{name}/disk), which the nodes fetch it from' })),
      },
      { additionalProperties: false },
    ),
    checksum: Type.String({ pattern: IMAGE_CHECKSUM_PATTERN, description: 'sha256:<64 lower-case hex digits> of the disk file; required' }),
    format: Type.Union(IMAGE_FORMATS.map((f) => Type.Literal(f)), { description: 'qcow2 or raw' }),
    /** Only in the weft-system project: every project's VMs may boot from it. */
    public: Type.Optional(Type.Boolean()),
    /** The class of the data (a DataClass), for policies that match on it. */
    dataClass: Type.Optional(Name),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);
export type ImageSpec = Static<typeof ImageSpec>;

/** What the Image's status says once nodes have it (written by the VirtualMachine controller). */
export interface ImageStatus {
  format?: ImageFormat;
  sizeBytes?: number;
  /** Nodes whose image cache holds it, checksum verified. */
  nodes?: string[];
  /** An uploaded Image: whether its disk is on the server, or why the last upload failed. */
  upload?: ImageUploadStatus;
}

export interface ImageUploadStatus {
  phase: 'Uploaded' | 'Failed';
  /** When the upload ended. */
  at: string;
  sizeBytes?: number;
  message?: string;
}

/** The API path an uploaded Image's disk is read and written at. */
export function imageDiskPath(project: string, name: string): string {
  return `/api/v1/projects/${encodeURIComponent(project)}/images/${encodeURIComponent(name)}/disk`;
}

export const ImageKind: KindDef = { ...kindNames('Image'), spec: ImageSpec, status: OpenStatus };
