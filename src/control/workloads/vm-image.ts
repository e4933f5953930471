// The Image a VirtualMachine boots from: its project's Image of that name, else a public one in
// weft-system. The controller copies what the node needs (URL, checksum, format) onto the VM's
// status, and placement onto the Allocation's task; and it records which nodes cached it.
import { SYSTEM_PROJECT } from '../../model/kind-names.js';
import { imageDiskPath, type ImageSpec, type ImageStatus } from '../../model/kinds/image.js';
import type { VmTask } from '../../model/kinds/virtual-machine.js';
import type { Resource } from '../../model/metadata.js';
import type { StoreTx } from '../../store/types.js';

export type ResolvedImage = VmTask['image'];

export async function resolveImage(tx: StoreTx, project: string, name: string): Promise<ResolvedImage | undefined> {
  const own = await tx.get({ kind: 'Image', project, name });
  const img = own ?? (project !== SYSTEM_PROJECT ? await tx.get({ kind: 'Image', project: SYSTEM_PROJECT, name }) : undefined);
  if (!img) return undefined;
  const spec = img.spec as unknown as ImageSpec;
  if (!own && spec.public !== true) return undefined;
  const at = img.metadata.project ?? project;
  // An uploaded disk is fetched from the API by the node, with its credential.
  if (spec.source.upload === true) return { name, project: at, url: imageDiskPath(at, name), upload: true, checksum: spec.checksum, format: spec.format };
  return { name, project: at, url: spec.source.url ?? '', checksum: spec.checksum, format: spec.format };
}

/** An uploaded Image whose disk has not reached the server yet (registered with apply, upload to come). */
export async function awaitingUpload(tx: StoreTx, image: ResolvedImage): Promise<boolean> {
  if (image.upload !== true) return false;
  const img = await tx.get({ kind: 'Image', project: image.project, name: image.name });
  return ((img?.status ?? {}) as ImageStatus).upload?.phase !== 'Uploaded';
}

/** Adds `node` to the Image's cached nodes (with the size the node measured), once. */
export async function recordImageCached(tx: StoreTx, image: ResolvedImage, node: string, sizeBytes: number | undefined): Promise<void> {
  const img = await tx.get({ kind: 'Image', project: image.project, name: image.name });
  if (!img || (img.spec as unknown as ImageSpec).checksum !== image.checksum) return;
  const st = (img.status ?? {}) as ImageStatus;
  const nodes = st.nodes ?? [];
  if (nodes.includes(node) && (sizeBytes === undefined || st.sizeBytes === sizeBytes)) return;
  const status: ImageStatus & Record<string, unknown> = { ...(img.status ?? {}), format: image.format, nodes: [...new Set([...nodes, node])].sort() };
  if (sizeBytes !== undefined) status.sizeBytes = sizeBytes;
  await tx.update({ ...img, status } satisfies Resource, { resourceVersion: img.metadata.resourceVersion });
}
