// Compares the audit chain with anchors: checkpoints of its head (entry id, hash and position)
// published outside the database. The hash chain alone finds a changed, inserted or removed
// entry in the middle, but removing the newest entries leaves a valid, shorter chain; an anchor
// past the end of the chain, or one whose entry differs, is what shows it.
import type { AuditAnchor, AuditEntry } from '../model/audit.js';

const MAX_PROBLEMS = 10;

const when = (a: AuditAnchor): string => (a.time ? `the checkpoint of ${a.time}` : 'a checkpoint');

export class AnchorCheck {
  private readonly pending = new Map<string, AuditAnchor>();
  private matched = 0;
  private readonly problems: string[] = [];
  private mismatches = 0;

  constructor(anchors: readonly AuditAnchor[]) {
    for (const a of anchors) this.pending.set(a.id, a);
  }

  /** Called for each entry of the chain in order; `position` counts from 1. */
  see(e: AuditEntry, position: number): void {
    const a = this.pending.get(e.id);
    if (!a) return;
    this.pending.delete(e.id);
    if (a.hash !== e.hash) this.problem(`entry ${e.id} differs from ${when(a)} (hash ${a.hash.slice(0, 12)}…): the entry was changed`);
    else if (a.count !== position) this.problem(`entry ${e.id} is entry number ${position} of the chain, but ${when(a)} recorded it as number ${a.count}: entries before it were removed or inserted`);
    else this.matched++;
  }

  /** After the walk: anchors whose entry never came are entries removed (from the end, or before it). */
  finish(checked: number, lastId: string | undefined): { matched: number; problems: string[] } {
    const last = lastId === undefined ? -1n : BigInt(lastId);
    const beyond = [...this.pending.values()].filter((a) => BigInt(a.id) > last).sort((x, y) => y.count - x.count);
    const inside = [...this.pending.values()].filter((a) => BigInt(a.id) <= last);
    const newest = beyond[0];
    if (newest) {
      const others = beyond.length > 1 ? ` (and ${beyond.length - 1} earlier checkpoint${beyond.length > 2 ? 's' : ''} past the end)` : '';
      this.problems.unshift(
        `${lastId === undefined ? 'the chain is empty' : `the chain ends at entry ${lastId} (${checked} entries)`}, but ${when(newest)} recorded ${newest.count} entries up to entry ${newest.id}: at least ${Math.max(newest.count - checked, 1)} of the newest entries were removed${others}`,
      );
    }
    for (const a of inside) this.problem(`entry ${a.id}, recorded by ${when(a)}, is not in the chain: it was removed`);
    if (this.mismatches > MAX_PROBLEMS) this.problems.push(`… and ${this.mismatches - MAX_PROBLEMS} more disagreements`);
    return { matched: this.matched, problems: this.problems };
  }

  private problem(text: string): void {
    this.mismatches++;
    if (this.mismatches <= MAX_PROBLEMS) this.problems.push(text);
  }
}
