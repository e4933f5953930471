// Annotations that say how a workload's replicas behave on simulated nodes: how long they "run"
// (`weft.dev/sim-duration`; `weft explain` simulates forward with it too) and how they end
// (`weft.dev/sim-exit-code`).

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

/** The exit code a simulated replica ends with when it finishes on its own; not 0 = Failed. */
export const SIM_EXIT_CODE_ANNOTATION = 'weft.dev/sim-exit-code';

/** An exit code 0-255; undefined when unreadable. */
export function parseSimExitCode(text: string): number | undefined {
  const t = text.trim();
  if (!/^\d{1,3}$/.test(t) || Number(t) > 255) return undefined;
  return Number(t);
}
