// The images on this node as its Node reports them (status.images): the largest first, at most
// MAX_NODE_IMAGES, each by its tags and digests. The scheduler prefers, among equally good
// nodes, those already holding a replica's image; the largest images are the ones whose pull a
// placement can save, so they are the ones kept when a node holds more.
import type Docker from 'dockerode';
import { MAX_IMAGE_NAMES, MAX_NODE_IMAGES, type NodeImage } from '../../../model/node-images.js';

export function nodeImagesOf(list: readonly Pick<Docker.ImageInfo, 'RepoTags' | 'RepoDigests' | 'Size'>[]): NodeImage[] {
  const images: NodeImage[] = [];
  for (const img of list) {
    const names = [...new Set([...(img.RepoTags ?? []), ...(img.RepoDigests ?? [])])]
      .filter((n) => n.length > 0 && n.length <= 1024 && !n.includes('<none>'))
      .sort()
      .slice(0, MAX_IMAGE_NAMES);
    if (names.length > 0) images.push({ names, sizeBytes: Math.max(0, Math.round(img.Size ?? 0)) });
  }
  return images.sort((a, b) => b.sizeBytes - a.sizeBytes || a.names[0]!.localeCompare(b.names[0]!)).slice(0, MAX_NODE_IMAGES);
}
