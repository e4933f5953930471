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
