// The audit log for a period as JSON Lines (docs/policy.md "Exporting the audit log"): a header,
// every entry of one contiguous run of the hash chain, and a checkpoint naming the run's last hash
// and the chain's head when it was exported. Contiguous by id, so an auditor can re-check every
// link without Weft: nothing inside the run can have been removed or changed unnoticed.
import type { AuditEntry } from '../model/audit.js';
import { checkSegment } from '../store/audit-hash.js';
import type { Store } from '../store/types.js';

export const EXPORT_FORMAT = 'weft-audit-export/1';
const PAGE = 1000;

export interface ExportHeader {
  type: 'header';
  format: typeof EXPORT_FORMAT;
  from: string;
  to: string;
  /** What the first entry links to: the hash of the entry before the run (64 zeros at the start of the chain). */
  prevHash: string;
}

export interface ExportCheckpoint {
  type: 'checkpoint';
  count: number;
  firstId?: string;
  lastId?: string;
  /** The last exported entry's hash; the next export's first entry links to it. */
  lastHash?: string;
  /** The newest entry of the whole chain when the export was made. */
  head?: { id: string; hash: string };
  exportedAt: string;
}

export type ExportLine = ExportHeader | ({ type: 'entry' } & AuditEntry) | ExportCheckpoint;

/**
 * The lines of an export of [from, to): from the first entry at or after `from` up to, not
 * including, the first entry at or after `to` (entries are timed by their request, so a few near
 * either end may carry times slightly out of id order; the run stays contiguous by id).
 */
export async function* auditExport(store: Store, from: Date, to: Date, now: Date): AsyncGenerator<ExportLine> {
  const [first] = await store.audit.list({ since: from.toISOString(), limit: 1 });
  let count = 0;
  let firstId: string | undefined;
  let last: AuditEntry | undefined;
  let head: AuditEntry | undefined;
  yield { type: 'header', format: EXPORT_FORMAT, from: from.toISOString(), to: to.toISOString(), prevHash: first?.prevHash ?? '' };
  let inRun = first !== undefined;
  for (let after = first ? String(BigInt(first.id) - 1n) : undefined; after !== undefined; ) {
    const page = await store.audit.list({ after, limit: PAGE });
    for (const e of page) {
      head = e;
      if (!inRun) continue;
      if (Date.parse(e.time) >= to.getTime()) {
        inRun = false;
        continue;
      }
      firstId ??= e.id;
      last = e;
      count++;
      yield { type: 'entry', ...e };
    }
    after = page.length === PAGE ? page[page.length - 1]!.id : undefined;
  }
  yield {
    type: 'checkpoint',
    count,
    ...(firstId ? { firstId } : {}),
    ...(last ? { lastId: last.id, lastHash: last.hash } : {}),
    ...(head ? { head: { id: head.id, hash: head.hash } } : {}),
    exportedAt: now.toISOString(),
  };
}

export interface ExportCheck {
  ok: boolean;
  /** Entries whose hash and link were re-checked. */
  checked: number;
  firstId?: string;
  lastId?: string;
  lastHash?: string;
  head?: { id: string; hash: string };
  reason?: string;
}

/**
 * Re-checks an export offline, as an auditor would: the header, every entry's hash and link
 * (checkSegment), and the checkpoint's count and last hash. Truncation shows as a missing
 * checkpoint; a removed, inserted or changed entry as a broken link or hash.
 */
export function verifyExport(text: string): ExportCheck {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const parsed: ExportLine[] = [];
  for (let i = 0; i < lines.length; i++) {
    try {
      parsed.push(JSON.parse(lines[i]!) as ExportLine);
    } catch {
      return { ok: false, checked: 0, reason: `line ${i + 1} is not JSON` };
    }
  }
  const header = parsed[0];
  if (header?.type !== 'header' || header.format !== EXPORT_FORMAT) return { ok: false, checked: 0, reason: `line 1 is not a ${EXPORT_FORMAT} header` };
  const checkpoint = parsed[parsed.length - 1];
  if (parsed.length < 2 || checkpoint?.type !== 'checkpoint') return { ok: false, checked: 0, reason: 'the export ends without its checkpoint (it was cut short)' };
  const entries: AuditEntry[] = [];
  for (let i = 1; i < parsed.length - 1; i++) {
    const l = parsed[i]!;
    if (l.type !== 'entry') return { ok: false, checked: 0, reason: `line ${i + 1} is a ${l.type}, not an entry` };
    const { type: _type, ...entry } = l;
    entries.push(entry);
  }
  const seg = checkSegment(entries, header.prevHash || undefined);
  if (!seg.ok) return { ok: false, checked: seg.checked, ...(seg.reason ? { reason: seg.reason } : {}) };
  const last = entries[entries.length - 1];
  if (checkpoint.count !== entries.length) return { ok: false, checked: seg.checked, reason: `the checkpoint counts ${checkpoint.count} entries, the export holds ${entries.length}` };
  if (checkpoint.lastHash !== last?.hash || checkpoint.firstId !== entries[0]?.id) return { ok: false, checked: seg.checked, reason: 'the checkpoint does not name the exported run' };
  return {
    ok: true,
    checked: seg.checked,
    ...(entries[0] ? { firstId: entries[0].id } : {}),
    ...(last ? { lastId: last.id, lastHash: last.hash } : {}),
    ...(checkpoint.head ? { head: checkpoint.head } : {}),
  };
}
