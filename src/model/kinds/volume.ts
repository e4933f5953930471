import { Type, type Static } from '@sinclair/typebox';
import { Name, OpenStatus } from '../common.js';
import type { KindDef } from '../kind.js';
import { kindNames } from '../kind-names.js';

/**
 * Data a container replica mounts (datasets, model caches), where it already is: a directory on
 * some nodes (`hostPath`: a node-local cache) or a shared filesystem mounted at the same path on
 * every node of some sites (`shared`). Weft only mounts it; it never creates or deletes the data.
 */
export const VolumeSpec = Type.Object(
  {
    type: Type.Union([Type.Literal('hostPath'), Type.Literal('shared')], { description: 'hostPath (a directory on the listed nodes) or shared (mounted on every node of the listed sites)' }),
    /** Where the data is on the host; the node agent mounts only paths under its --volume-root. */
    path: Type.String({ maxLength: 4096, pattern: '^/[^\\0]*[^/]$', description: 'an absolute path on the host, not / itself, e.g. /data/imagenet' }),
    /** hostPath: the nodes that hold the directory. */
    nodes: Type.Optional(Type.Array(Name, { minItems: 1, maxItems: 10_000 })),
    /** shared: the sites whose every node mounts the filesystem at `path`. */
    sites: Type.Optional(Type.Array(Name, { minItems: 1, maxItems: 1000 })),
    /** The class of the data (a DataClass), for policies that match on it. */
    dataClass: Type.Optional(Name),
  },
  { additionalProperties: false },
);
export type VolumeSpec = Static<typeof VolumeSpec>;

export const VolumeKind: KindDef = { ...kindNames('Volume'), spec: VolumeSpec, status: OpenStatus };
