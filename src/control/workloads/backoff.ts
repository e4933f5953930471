// Retry backoff shared by the workload controllers: 10 s, 20 s, 40 s … capped at 5 minutes.
// The delay is stored as an absolute time on the workload's status (nextRetryTime), never held
// in memory, so a restarted control plane waits exactly as long as the old one would have.

export const BACKOFF_BASE_MS = 10_000;
export const BACKOFF_MAX_MS = 5 * 60_000;

/** Delay before the next attempt, given how many failures came before the one just seen. */
export function backoffDelayMs(previousFailures: number): number {
  const exp = Math.min(Math.max(previousFailures, 0), 30);
  return Math.min(BACKOFF_BASE_MS * 2 ** exp, BACKOFF_MAX_MS);
}

/** Parses an ISO time written by a controller; undefined when absent or malformed. */
export function parseTime(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  const t = Date.parse(v);
  return Number.isFinite(t) ? t : undefined;
}
