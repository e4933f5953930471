import { Type, type Static } from '@sinclair/typebox';
import { GpuModelName, MAX_REPLICAS, Name, OpenStatus } from '../common.js';
import type { KindDef } from '../kind.js';
import { kindNames } from '../kind-names.js';

/**
 * Capacity booked ahead for a window [start, end): `gpus` GPUs of one `model`, or `nodes` whole
 * nodes, optionally within one site, rack or NVLink domain, or on exactly the listed nodes.
 * Admission books it in the capacity calendar (status.booking names the nodes it holds) or
 * refuses it, naming the earliest window where it fits.
 */
export const ReservationSpec = Type.Object(
  {
    start: Type.String({ format: 'date-time', description: 'when the window opens (RFC 3339)' }),
    end: Type.String({ format: 'date-time', description: 'when the window closes, exclusive (RFC 3339)' }),
    /** N GPUs of `model` (exactly one of gpus and nodes). */
    gpus: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'GPUs of spec.model to book' })),
    /** N whole nodes: every GPU, and no other tenant's work at all. */
    nodes: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_REPLICAS, description: 'whole nodes to book' })),
    /** The GPU model: required with gpus; with nodes, only nodes of this model. */
    model: Type.Optional(GpuModelName),
    site: Type.Optional(Name),
    rack: Type.Optional(Type.String({ maxLength: 63 })),
    nvlinkDomain: Type.Optional(Type.String({ maxLength: 63 })),
    /** Book exactly on these nodes (others are never used for it). */
    nodeNames: Type.Optional(Type.Array(Name, { minItems: 1, maxItems: MAX_REPLICAS })),
    /** During the window, idle booked capacity runs other projects' preemptible work (evicted when the owner needs it). */
    shareWhenIdle: Type.Optional(Type.Boolean()),
    /** At end: Stop the owner's work still running on it (default), or Continue (it runs on, in the shared pool). */
    atEnd: Type.Optional(Type.Union([Type.Literal('Stop'), Type.Literal('Continue')])),
  },
  { additionalProperties: false },
);
export type ReservationSpec = Static<typeof ReservationSpec>;

/** What admission booked: per node, how many GPUs (whole = the node itself). Kept in status.booking. */
export interface BookingStatus {
  nodes: { node: string; gpus: number; whole?: boolean }[];
}

/** A reservation's phases, written by the reservation controller. */
export type ReservationPhase = 'Pending' | 'Active' | 'Ending' | 'Ended';

export const ReservationKind: KindDef = { ...kindNames('Reservation'), spec: ReservationSpec, status: OpenStatus };
