// Sovereignty: a gang may be restricted to some sites.
import type { Filter } from './filter.js';

export const siteAllowed: Filter = {
  name: 'site-allowed',
  reason: 'SiteNotAllowed',
  filter(snap, req, nodes, count) {
    const allowed = req.allowedSites;
    if (!allowed) return count;
    const site = snap.site;
    let k = 0;
    for (let i = 0; i < count; i++) {
      const n = nodes[i]!;
      if (allowed[site[n]!] === 1) nodes[k++] = n;
    }
    return k;
  },
};
