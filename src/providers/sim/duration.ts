// How long a simulated allocation "runs": the workload's `weft.dev/sim-duration` annotation,
// else a Job's declared maxRuntimeSeconds, else a default for Jobs. Services and
// DevEnvironments have no natural end, so they run until a controller stops them. How it ends:
// the `weft.dev/sim-exit-code` annotation, else a draw against the failure rate.
import type { Resource } from '../../model/metadata.js';
import { parseSimDuration, parseSimExitCode, SIM_DURATION_ANNOTATION, SIM_EXIT_CODE_ANNOTATION } from '../../model/sim-annotations.js';

export { SIM_DURATION_ANNOTATION, parseSimDuration };

export interface SimDuration {
  /** How long a replica runs; null = until stopped. */
  ms: number | null;
  /** Where that came from, for the replica's log. */
  source: string;
}

/** How long the workload's replicas run for, and why. */
export function declaredDuration(workload: Resource | undefined, kind: string, defaultMs: number): SimDuration {
  const annotated = workload?.metadata.annotations?.[SIM_DURATION_ANNOTATION];
  if (annotated !== undefined) {
    const ms = parseSimDuration(annotated);
    if (ms !== undefined) return { ms, source: `its ${SIM_DURATION_ANNOTATION} annotation` };
  }
  if (kind !== 'Job') return { ms: null, source: `a ${kind} runs until it is stopped` };
  const max = (workload?.spec as { maxRuntimeSeconds?: unknown } | undefined)?.maxRuntimeSeconds;
  if (typeof max === 'number' && max > 0) return { ms: max * 1000, source: 'its spec.maxRuntimeSeconds' };
  return { ms: defaultMs, source: 'the default for a Job that declares no duration' };
}

/** Milliseconds the workload's replicas run for; null = until stopped. */
export function declaredDurationMs(workload: Resource | undefined, kind: string, defaultMs: number): number | null {
  return declaredDuration(workload, kind, defaultMs).ms;
}

/** 180000 → "3m", 5400000 → "1h30m", 1500 → "1.5s": the form the annotation takes. */
export function formatSimDuration(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 100) / 10}s`;
  const parts: string[] = [];
  let rest = Math.round(ms / 1000);
  for (const [unit, size] of [['d', 86_400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.join('');
}

/** The exit code the workload declares for its simulated replicas; undefined = drawn. */
export function declaredExitCode(workload: Resource | undefined): number | undefined {
  const annotated = workload?.metadata.annotations?.[SIM_EXIT_CODE_ANNOTATION];
  return annotated === undefined ? undefined : parseSimExitCode(annotated);
}
