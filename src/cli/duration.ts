// Durations as people type them: "90s", "30m", "24h", "7d", "1h30m".
import { CliError } from './errors.js';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

export function parseDurationSeconds(text: string): number {
  const re = /(\d+)([smhdw])/g;
  let total = 0;
  let consumed = 0;
  for (const m of text.trim().matchAll(re)) {
    total += Number(m[1]) * UNIT_SECONDS[m[2]!]!;
    consumed += m[0].length;
  }
  if (consumed === 0 || consumed !== text.trim().length || total <= 0) {
    throw new CliError(`"${text}" is not a duration (e.g. 90s, 30m, 24h, 7d, 1h30m)`);
  }
  return total;
}

/** "3m", "5h", "12d": the largest unit, like the AGE column of kubectl. */
export function formatAge(fromIso: string | undefined, now = Date.now()): string {
  if (!fromIso) return '<unknown>';
  const t = Date.parse(fromIso);
  if (Number.isNaN(t)) return '<unknown>';
  const s = Math.max(0, Math.floor((now - t) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}
