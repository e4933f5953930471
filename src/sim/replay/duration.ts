// Durations in replay files and flags: "500ms", "90s", "30m", "2h", "1d", "1h30m", or a plain
// number of seconds. Returns milliseconds.
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

export function parseDurationMs(value: unknown, where: string): number {
  if (typeof value === 'number') {
    if (!(Number.isFinite(value) && value >= 0)) throw new Error(`${where}: must be a non-negative number of seconds`);
    return Math.round(value * 1000);
  }
  const text = typeof value === 'string' ? value.trim() : '';
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  let total = 0;
  let consumed = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g)) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    consumed += m[0].length;
  }
  if (text === '' || consumed !== text.length) throw new Error(`${where}: "${String(value)}" is not a duration (e.g. 90s, 30m, 2h, 1h30m)`);
  return Math.round(total);
}
