// Sovereignty: a gang may be restricted to some sites.
import type { Snapshot } from '../snapshot.js';
import type { Filter } from './filter.js';

/** Keeps the nodes whose site is set in `mask` (by site id); the filters by site share it. */
export function keepSites(snap: Snapshot, mask: Uint8Array, nodes: Int32Array, count: number): number {
  const site = snap.site;
  let k = 0;
  for (let i = 0; i < count; i++) {
    const n = nodes[i]!;
    if (mask[site[n]!] === 1) nodes[k++] = n;
  }
  return k;
}

export const siteAllowed: Filter = {
  name: 'site-allowed',
  reason: 'SiteNotAllowed',
  reads: 'static',
  resolvable: false,
  filter(snap, req, nodes, count) {
    return req.allowedSites ? keepSites(snap, req.allowedSites, nodes, count) : count;
  },
  shortfall(_snap, req) {
    return `may only run in ${(req.sites ?? []).join(', ')}; the fleet has no node there`;
  },
};
