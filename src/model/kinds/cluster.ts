import { Type, type Static } from '@sinclair/typebox';
import { Name, OpenStatus } from '../common.js';
import type { KindDef } from '../kind.js';
import { kindNames } from '../kind-names.js';
import { SECRET_KEY_PATTERN } from './secret.js';

/** A Slurm name (partition, account): what Slurm accepts, kept to characters safe in a job request. */
export const SlurmName = Type.String({ pattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]*$', maxLength: 64 });

/**
 * How Weft authenticates to slurmrestd. `jwt`: the production path, over TCP; the token (from
 * `scontrol token` or the site's JWT issuer) is read from a file on the server's host on every
 * request, so it can be rotated without touching the Cluster; or from a Secret (secretRef). `local`: slurmrestd's
 * rest_auth/local on a UNIX socket, which serves only a process of its own uid (or root): the
 * Weft server must then run as the user slurmrestd runs as (docs/slurm.md).
 */
export const ClusterAuth = Type.Union([
  Type.Object(
    {
      type: Type.Literal('jwt'),
      /** The Slurm user the token was issued to (X-SLURM-USER-NAME); Weft's jobs run as this user. */
      user: Type.String({ pattern: '^[a-z_][a-z0-9_.-]*$', maxLength: 32 }),
      /** Absolute path of a file holding the token, readable by the Weft server. */
      tokenFile: Type.String({ pattern: '^/', maxLength: 1024 }),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      type: Type.Literal('jwt'),
      user: Type.String({ pattern: '^[a-z_][a-z0-9_.-]*$', maxLength: 32 }),
      /** A Secret holding the token (write-only: no API read returns it), opened by the server on every request. */
      secretRef: Type.Object({ project: Name, name: Name, key: Type.String({ pattern: SECRET_KEY_PATTERN }) }, { additionalProperties: false }),
    },
    { additionalProperties: false },
  ),
  Type.Object({ type: Type.Literal('local') }, { additionalProperties: false }),
]);
export type ClusterAuth = Static<typeof ClusterAuth>;

/** Slurm jobs of an account count against a Weft project. */
export const AccountMapping = Type.Object({ account: SlurmName, project: Name }, { additionalProperties: false });

export const ClusterSpec = Type.Object(
  {
    provider: Type.Literal('slurm'),
    /** slurmrestd: http://host:port (JWT) or unix:/path/to/socket (local). */
    endpoint: Type.String({ pattern: '^(https?://[^\\s]+|unix:/[^\\s]+)$', maxLength: 1024 }),
    auth: ClusterAuth,
    /** Partitions Weft may use; their nodes become Weft Nodes. Absent = every partition. */
    partitions: Type.Optional(Type.Array(SlurmName, { minItems: 1, maxItems: 64 })),
    /** The Site of the cluster's nodes. */
    site: Type.Optional(Name),
    /**
     * Directory on storage the Weft server and the cluster's nodes share, writable by the Slurm
     * user Weft acts as: the jobs Weft submits write each replica's output and exit code there,
     * and the server reads them for `weft logs` and the phase. Absent: no logs, and every replica
     * ends with the job's exit code.
     */
    outputDir: Type.Optional(Type.String({ pattern: '^/', maxLength: 1024 })),
    /**
     * Jobs submitted straight to Slurm count against a project: the first rule naming their
     * account, else defaultProject; a job neither names is not mirrored.
     */
    accounts: Type.Optional(Type.Array(AccountMapping, { maxItems: 1000 })),
    defaultProject: Type.Optional(Name),
    /** Seconds between looks at slurmrestd (default 2). */
    pollSeconds: Type.Optional(Type.Number({ minimum: 0.2, maximum: 300 })),
  },
  { additionalProperties: false },
);
export type ClusterSpec = Static<typeof ClusterSpec>;

export const ClusterKind: KindDef = { ...kindNames('Cluster'), spec: ClusterSpec, status: OpenStatus };
