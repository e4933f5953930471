import { Type, type Static } from '@sinclair/typebox';
import { GpuModelName, MAX_REPLICAS, Name, OpenStatus } from '../common.js';
import type { KindDef } from '../kind.js';
import { kindNames } from '../kind-names.js';

/** A login on a leased node: a POSIX user name and the SSH public keys that may log in as it. */
export const LeaseUser = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z_][a-z0-9_-]{0,31}$', description: 'POSIX user name, e.g. alice' }),
    sshKeys: Type.Array(Type.String({ pattern: '^(ssh-(ed25519|rsa)|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\\.com) [A-Za-z0-9+/=]+( [^\\n\\r]*)?$', maxLength: 16384 }), { minItems: 1, maxItems: 32 }),
  },
  { additionalProperties: false },
);
export type LeaseUser = Static<typeof LeaseUser>;

/**
 * Whole bare-metal nodes handed to a project for [start, end): booked in the capacity calendar
 * like a Reservation of whole nodes. At start the nodes are drained of others' work and the node
 * agent creates an account per user with their SSH keys; at end the accounts go, the agent's
 * cleanup hook runs (wipe scratch, reset GPUs, check GPU health) and a node returns to the pool
 * only if it passes.
 */
export const LeaseSpec = Type.Object(
  {
    start: Type.String({ format: 'date-time' }),
    end: Type.String({ format: 'date-time', description: 'exclusive; set it earlier to release early, later to extend (when the calendar allows)' }),
    nodes: Type.Integer({ minimum: 1, maximum: MAX_REPLICAS, description: 'whole nodes to lease' }),
    model: Type.Optional(GpuModelName),
    site: Type.Optional(Name),
    rack: Type.Optional(Type.String({ maxLength: 63 })),
    nodeNames: Type.Optional(Type.Array(Name, { minItems: 1, maxItems: MAX_REPLICAS })),
    users: Type.Array(LeaseUser, { minItems: 1, maxItems: 64 }),
  },
  { additionalProperties: false },
);
export type LeaseSpec = Static<typeof LeaseSpec>;

/** What the lease controller puts on a leased Node's status for its agent. */
export interface NodeLease {
  /** "project/name". */
  lease: string;
  /** Active: accounts should exist; Ending: remove them and run the cleanup hook. */
  phase: 'Active' | 'Ending';
  users: LeaseUser[];
}

/** What the agent reports back on its Node's status. */
export interface NodeLeaseAccess {
  lease: string;
  /** Ready: accounts exist; Cleaned: removed and the cleanup hook ran; Failed: accounts could not be made. */
  phase: 'Ready' | 'Cleaned' | 'Failed';
  /** How to connect, e.g. "ssh alice@10.0.0.5". */
  connect?: string[];
  /** Cleaned: whether the cleanup hook's checks passed, and its words. */
  healthy?: boolean;
  message?: string;
}

export const LeaseKind: KindDef = { ...kindNames('Lease'), spec: LeaseSpec, status: OpenStatus };
