// The audit log's hash chain. Each entry's hash covers the previous entry's hash and a canonical
// JSON form of its own fields (sorted keys, no whitespace), so changing, inserting or
// removing any entry breaks every link after it. Written down in docs/store.md so that an
// auditor can re-check an export without Weft.
import { createHash } from 'node:crypto';
import type { AuditEntry } from './types.js';

/** The prev_hash of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

type Hashed = Omit<AuditEntry, 'prevHash' | 'hash'>;

/**
 * The entry's fields as a JSON object with keys in code-point order and no whitespace (RFC 8785
 * style; every value is a string or a small integer, so no number formatting questions arise).
 * `time` is RFC 3339 with milliseconds, `id` a decimal string.
 */
export function canonicalJson(e: Hashed): string {
  return JSON.stringify({
    id: e.id,
    kind: e.kind,
    method: e.method,
    name: e.name,
    path: e.path,
    principal: e.principal,
    principalKind: e.principalKind,
    project: e.project,
    requestId: e.requestId,
    source: e.source,
    status: e.status,
    time: e.time,
    verb: e.verb,
  });
}

/** hash = sha256(prevHash || canonicalJson(entry)), hex. */
export function chainHash(prevHash: string, e: Hashed): string {
  return createHash('sha256').update(prevHash, 'utf8').update(canonicalJson(e), 'utf8').digest('hex');
}

/** What `checkSegment` found: where a contiguous run of entries stops holding together. */
export interface SegmentCheck {
  ok: boolean;
  checked: number;
  firstBadId?: string;
  reason?: string;
}

/**
 * Checks a contiguous run of entries on its own (an export): each entry's hash matches its fields
 * and its prevHash, and each prevHash is the hash of the entry before it. `prevHash` is what the
 * first entry must link to, when known (the previous export's last hash, or GENESIS_HASH).
 */
export function checkSegment(entries: readonly AuditEntry[], prevHash?: string): SegmentCheck {
  let prev = prevHash;
  let checked = 0;
  for (const e of entries) {
    if (prev !== undefined && e.prevHash !== prev) {
      return { ok: false, checked, firstBadId: e.id, reason: `entry ${e.id} does not link to the entry before it (an entry was removed or inserted)` };
    }
    if (chainHash(e.prevHash, e) !== e.hash) return { ok: false, checked, firstBadId: e.id, reason: `entry ${e.id} does not match its hash (it was modified)` };
    prev = e.hash;
    checked++;
  }
  return { ok: true, checked };
}
