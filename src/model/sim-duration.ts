// The `weft.dev/sim-duration` annotation: how long a workload's replicas "run" on simulated
// nodes. The sim provider runs them for that long; `weft explain` simulates forward with it.

export const SIM_DURATION_ANNOTATION = 'weft.dev/sim-duration';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "45s", "10m", "1h30m", "500ms" or a bare number of seconds; undefined when unreadable. */
export function parseSimDuration(text: string): number | undefined {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Math.round(Number(t) * 1000);
  let total = 0;
  let consumed = 0;
  for (const m of t.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    consumed += m[0].length;
  }
  return consumed > 0 && consumed === t.length ? Math.round(total) : undefined;
}
