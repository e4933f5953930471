// Data classes and residency: what a piece of data (a Project's work, and the Volumes and Images
// that hold data) may be, and where it may be processed. One schema piece every kind that carries
// data spreads into its spec, and the pure rules that turn it into "the sites this may use".
import { Type, type Static } from '@sinclair/typebox';
import { Name, NAME_PATTERN, type Isolation } from './common.js';

/** Data classes every cluster knows; others are declared as DataClass objects. */
export const BUILTIN_DATA_CLASSES = ['public', 'internal', 'restricted'] as const;

export const CountryCode = Type.String({ pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2' });
export const DataClassName = Type.String({ pattern: NAME_PATTERN, maxLength: 63, description: 'public, internal, restricted, or a DataClass' });

/**
 * The residency fields, to spread into a kind's spec: `Type.Object({ ...DATA_RESIDENCY_FIELDS, … })`.
 * Absent lists mean "no restriction from this holder"; several holders (the data class, the
 * project) intersect.
 */
export const DATA_RESIDENCY_FIELDS = {
  dataClass: Type.Optional(DataClassName),
  allowedCountries: Type.Optional(Type.Array(CountryCode, { maxItems: 250, description: 'where the data may be processed, by country' })),
  allowedSites: Type.Optional(Type.Array(Name, { maxItems: 1000, description: 'where the data may be processed, by site' })),
};
export const DataResidencySchema = Type.Object(DATA_RESIDENCY_FIELDS);
export type DataResidency = Static<typeof DataResidencySchema>;

/** How hard each isolation tier's tenant boundary is, weakest first. */
const ISOLATION_ORDER: readonly Isolation[] = ['shared', 'mig', 'dedicated', 'exclusive-node'];

export function isolationRank(tier: Isolation): number {
  return ISOLATION_ORDER.indexOf(tier);
}

/** Whether `tier` is at least as strong as `required`. */
export function isolationAtLeast(tier: Isolation, required: Isolation): boolean {
  return isolationRank(tier) >= isolationRank(required);
}

export interface SiteCountry {
  name: string;
  country?: string;
}

/** Where a holder's data may go: null = anywhere; otherwise these sites (possibly none). */
export interface EffectiveResidency {
  sites: string[] | null;
  /** "data class restricted; countries DE; sites eu-fra-1": what restricted it, for explanations. */
  rule: string;
}

/** Whether work under `r` may run at `site` (a node with no site is outside every restriction). */
export function residencyAllows(r: EffectiveResidency, site: string | undefined): boolean {
  return r.sites === null || (site !== undefined && r.sites.includes(site));
}

/**
 * Intersects the residency of every holder (a data class, then a project, …) against the known
 * sites. A country restriction admits only sites that declare that country: a site with no
 * country is outside every country list.
 */
export function effectiveResidency(holders: readonly (DataResidency & { label: string })[], sites: readonly SiteCountry[]): EffectiveResidency {
  let allowed: Set<string> | null = null;
  const parts: string[] = [];
  for (const h of holders) {
    const lists: string[] = [];
    if (h.allowedCountries) {
      const countries = new Set(h.allowedCountries);
      const inCountries = sites.filter((s) => s.country !== undefined && countries.has(s.country)).map((s) => s.name);
      allowed = allowed ? new Set(inCountries.filter((s) => allowed!.has(s))) : new Set(inCountries);
      lists.push(`countries ${h.allowedCountries.join(',') || 'none'}`);
    }
    if (h.allowedSites) {
      const own = new Set(h.allowedSites);
      allowed = allowed ? new Set([...allowed].filter((s) => own.has(s))) : own;
      lists.push(`sites ${h.allowedSites.join(',') || 'none'}`);
    }
    if (lists.length > 0) parts.push(`${h.label}: ${lists.join('; ')}`);
  }
  return { sites: allowed ? [...allowed].sort() : null, rule: parts.join('; ') };
}
