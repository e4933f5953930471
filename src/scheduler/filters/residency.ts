// Data residency: a gang whose project (or its data class) may only run in some sites never lands
// outside them. Kept apart from site-allowed, which is the workload's own placement wish, so "why
// pending" can say which rule closed a node: residency is the project's, never the user's to lift.
import type { Filter } from './filter.js';
import { keepSites } from './site-allowed.js';

export const residency: Filter = {
  name: 'residency',
  reason: 'OutsideResidency',
  reads: 'static',
  resolvable: false,
  filter(snap, req, nodes, count) {
    return req.residencySites ? keepSites(snap, req.residencySites, nodes, count) : count;
  },
  // Which sites and which rule follow in the Residency reason (explain.ts).
  shortfall: () => 'no node is in a site data residency allows',
};
