import { Type, type Static } from '@sinclair/typebox';
import { GpuModelName, Isolation, Name, OpenStatus } from '../common.js';
import type { KindDef } from '../kind.js';
import { kindNames } from '../kind-names.js';

/** A money amount as a decimal string ("2.50") with at most 6 decimals; sums stay exact. */
export const DECIMAL_PATTERN = '^[0-9]{1,12}(\\.[0-9]{1,6})?$';
export const Decimal = Type.String({ pattern: DECIMAL_PATTERN, description: 'decimal amount, at most 6 decimals, e.g. "2.50"' });

export const PRICED_RESOURCES = ['gpu', 'mig', 'share', 'cpu', 'memory', 'reservation', 'lease'] as const;
export type PricedResource = (typeof PRICED_RESOURCES)[number];

export const PriceEntry = Type.Object(
  {
    /** gpu: per whole-GPU-hour; mig: per instance-hour; share: per GPU-hour of the share held; cpu: per core-hour; memory: per GiB-hour; reservation: per booked GPU-hour of a Reservation; lease: per leased GPU-hour of a Lease's nodes. */
    resource: Type.Union(PRICED_RESOURCES.map((r) => Type.Literal(r))),
    /** GPU model; absent = any model. */
    model: Type.Optional(GpuModelName),
    /** MIG profile (resource mig only); absent = any profile. */
    profile: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
    /** Isolation tier; absent = any tier. */
    isolation: Type.Optional(Isolation),
    /** Site; absent = every site. */
    site: Type.Optional(Name),
    pricePerHour: Decimal,
    /** RFC 3339; absent = since always. */
    effectiveFrom: Type.Optional(Type.String({ format: 'date-time' })),
    /** RFC 3339, exclusive; absent = until replaced. */
    effectiveUntil: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: false },
);
export type PriceEntry = Static<typeof PriceEntry>;

export const PriceBookSpec = Type.Object(
  {
    currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$', default: 'USD' })),
    /** Taken off the price of work whose priority class is preemptible (0–100, two decimals). */
    preemptibleDiscountPercent: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
    prices: Type.Array(PriceEntry, { maxItems: 2000 }),
  },
  { additionalProperties: false },
);
export type PriceBookSpec = Static<typeof PriceBookSpec>;

export const PriceBookKind: KindDef = { ...kindNames('PriceBook'), spec: PriceBookSpec, status: OpenStatus };
