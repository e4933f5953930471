// "Did you mean …?" for names a user typed (fields, kinds): the closest known name, if it is
// close enough to be a typo rather than a different word.
import { distance } from 'fastest-levenshtein';

/**
 * The candidate nearest to `typed` (case-insensitive) when it looks like a typo of it: at most
 * a third of the letters differ, or `typed` is the start of it ("mem" for "memory").
 */
export function closestName(typed: string, candidates: Iterable<string>): string | undefined {
  const t = typed.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const lower = c.toLowerCase();
    // A shortened name counts as one edit, so it wins over a guess but not over an exact match.
    const d = t.length >= 3 && lower.startsWith(t) && lower !== t ? 1 : distance(t, lower);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  if (best === undefined) return undefined;
  return bestDistance <= Math.ceil(Math.max(t.length, best.length) / 3) ? best : undefined;
}

/** `; did you mean "resources"?`, or nothing when no candidate is close. */
export function didYouMean(typed: string, candidates: Iterable<string>): string {
  const near = closestName(typed, candidates);
  return near !== undefined && near !== typed ? `; did you mean "${near}"?` : '';
}
