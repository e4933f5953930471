// Which nodes already hold which images, from the images each node agent lists on its Node
// (status.images): the scheduler's image-locality tie-break prefers those nodes for a replica of
// that image. Names are compared spelled in full (model/node-images.ts), so "busybox" in a spec
// finds "docker.io/library/busybox:latest" on a node.
import type { Resource } from '../model/metadata.js';
import { normalizeImageReference, type NodeImage } from '../model/node-images.js';

export class NodeImageIndex {
  /** image (spelled in full) → nodes that hold it */
  private readonly holders = new Map<string, Set<string>>();
  /** node → the names it listed, to forget them when its list changes */
  private readonly listed = new Map<string, string[]>();

  /** Folds a Node's change in; true when what it holds changed. */
  apply(type: 'ADDED' | 'MODIFIED' | 'DELETED', node: Resource): boolean {
    const name = node.metadata.name;
    const images = type === 'DELETED' ? [] : imageNames(node.status?.images);
    const before = this.listed.get(name) ?? [];
    if (before.length === images.length && before.every((n, i) => n === images[i])) return false;
    for (const image of before) {
      const set = this.holders.get(image);
      set?.delete(name);
      if (set?.size === 0) this.holders.delete(image);
    }
    for (const image of images) {
      let set = this.holders.get(image);
      if (!set) this.holders.set(image, (set = new Set()));
      set.add(name);
    }
    if (images.length > 0) this.listed.set(name, images);
    else this.listed.delete(name);
    return true;
  }

  /** Nodes that hold `image` (any spelling), sorted; empty when none does. */
  nodesWith(image: string): string[] {
    return [...(this.holders.get(normalizeImageReference(image)) ?? [])].sort();
  }
}

/** The names a Node lists, spelled in full; whatever is not a list of images is none. */
function imageNames(images: unknown): string[] {
  if (!Array.isArray(images)) return [];
  const names = new Set<string>();
  for (const img of images as Partial<NodeImage>[]) {
    for (const n of Array.isArray(img?.names) ? img.names : []) if (typeof n === 'string') names.add(normalizeImageReference(n));
  }
  return [...names].sort();
}
