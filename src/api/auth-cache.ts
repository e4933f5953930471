// A short-lived cache of authenticated principals. Without it every request costs two extra
// database reads (token by hash, then the user), which dominated the API's create path in
// bench/api.mjs. Entries live for a couple of seconds; this process drops them all at once on
// any write to tokens or users, so a revoke or a role change here takes effect immediately, and
// on another server replica within the TTL.
import type { Principal } from './rbac.js';

export const AUTH_CACHE_TTL_MS = 2_000;
const MAX_ENTRIES = 10_000;

interface Entry {
  principal: Principal;
  /** Cache expiry, never later than the token's own expiry. */
  until: number;
}

export class PrincipalCache {
  private readonly entries = new Map<string, Entry>();
  /** Bumped by clear(): a principal read from the database before a clear is not cached after it. */
  private generation = 0;

  constructor(private readonly ttlMs: number = AUTH_CACHE_TTL_MS) {}

  get(hash: string, now: number): Principal | undefined {
    const e = this.entries.get(hash);
    if (!e) return undefined;
    if (e.until <= now) {
      this.entries.delete(hash);
      return undefined;
    }
    return e.principal;
  }

  /** The token to pass to set(): taken before the database read the principal comes from. */
  epoch(): number {
    return this.generation;
  }

  set(hash: string, principal: Principal, now: number, tokenExpiresAt: string | undefined, epoch: number): void {
    if (this.ttlMs <= 0 || epoch !== this.generation) return;
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
    const expiry = tokenExpiresAt ? Date.parse(tokenExpiresAt) : Infinity;
    this.entries.set(hash, { principal, until: Math.min(now + this.ttlMs, expiry) });
  }

  clear(): void {
    this.generation++;
    this.entries.clear();
  }
}
