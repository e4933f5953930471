// What every route module needs: the store, the watch hub, the clock and the caller.
import type { SecretBox } from '../../control/secrets/secret-box.js';
import type { FastifyRequest } from 'fastify';
import type { Clock } from '../../control/clock.js';
import type { Resource } from '../../model/metadata.js';
import type { Store } from '../../store/types.js';
import type { PolicyEngine } from '../../control/policy/engine.js';
import type { Principal } from '../rbac.js';
import type { WatchHub } from '../watch.js';
import type { CalendarCache } from '../../control/reservations/calendar-cache.js';

export const API_PREFIX = '/api/v1';

export interface RouteDeps {
  store: Store;
  hub: WatchHub;
  /** Admission policies in force on this server. */
  policies?: PolicyEngine;
  /** What time it is for token expiry, admission and reports (never the wall clock directly). */
  clock: Clock;
  /** How a stored object is shown to readers (a waiting workload gets its live queue position). */
  present: (obj: Resource) => Resource;
  /** Seals Secret values on their way into the store. */
  secrets?: SecretBox;
  /** Where a Network without a subnet gets one. */
  networkPool?: string;
  /** The capacity calendar kept in memory, for reservation admission. */
  calendar?: CalendarCache;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the authentication hook on every protected route. */
    principal?: Principal;
  }
}

export function principalOf(req: FastifyRequest): Principal {
  // The auth hook runs before every protected route; reaching here without one is a wiring bug.
  if (!req.principal) throw new Error('request reached a protected route without a principal');
  return req.principal;
}
