// The images a node holds, as its agent reports them on the Node (status.images), and the one
// spelling of an image reference both sides compare: what a workload names ("busybox",
// "ghcr.io/x/y:1") and what the engine lists ("docker.io/library/busybox:latest").
import { Type, type Static } from '@sinclair/typebox';

/** At most this many images per Node, the largest first: the ones worth placing by. */
export const MAX_NODE_IMAGES = 100;
/** Names (tags and digests) kept per image. */
export const MAX_IMAGE_NAMES = 16;

export const NodeImage = Type.Object(
  {
    names: Type.Array(Type.String({ minLength: 1, maxLength: 1024 }), { minItems: 1, maxItems: MAX_IMAGE_NAMES }),
    sizeBytes: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type NodeImage = Static<typeof NodeImage>;

export const NodeImages = Type.Array(NodeImage, {
  maxItems: MAX_NODE_IMAGES,
  description: `the images on the node, largest first: at most ${MAX_NODE_IMAGES}, each with at most ${MAX_IMAGE_NAMES} names (repo:tag, repo@digest)`,
});

/**
 * An image reference spelled in full, as the engine lists it: a registry host (docker.io when
 * the first part is none: no dot, no port, not localhost), "library/" for Docker Hub's official
 * images, and ":latest" when neither tag nor digest is given. A reference with both a tag and a
 * digest is the digest (that is what is pulled).
 */
export function normalizeImageReference(ref: string): string {
  let rest = ref.trim();
  const at = rest.indexOf('@');
  const digest = at >= 0 ? rest.slice(at) : '';
  if (at >= 0) rest = rest.slice(0, at);
  const slash = rest.indexOf('/');
  const first = slash >= 0 ? rest.slice(0, slash) : '';
  const hasHost = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost');
  let path = hasHost ? rest.slice(slash + 1) : rest;
  const host = hasHost ? first : 'docker.io';
  const colon = path.lastIndexOf(':');
  let tag = '';
  if (colon >= 0) {
    tag = path.slice(colon);
    path = path.slice(0, colon);
  }
  if (host === 'docker.io' && !path.includes('/')) path = `library/${path}`;
  if (digest) return `${host}/${path}${digest}`;
  return `${host}/${path}${tag || ':latest'}`;
}
