// Money as integer micro-units (millionths of the currency unit) in BigInt, so that prices,
// line amounts and totals never drift the way sums of floats do.
import { ValidationError } from '../../model/errors.js';

export const MICROS_PER_UNIT = 1_000_000n;

/** "2.50" → 2_500_000n. */
export function parseMicros(text: string, field = 'amount'): bigint {
  const m = /^([0-9]{1,12})(?:\.([0-9]{1,6}))?$/.exec(text);
  if (!m) throw ValidationError.field(field, `"${text}" is not a decimal amount with at most 6 decimals`);
  return BigInt(m[1]!) * MICROS_PER_UNIT + BigInt((m[2] ?? '').padEnd(6, '0'));
}

/** 12_500_000n → "12.50"; keeps the micro digits that matter, at least two decimals. */
export function formatMicros(micros: bigint): string {
  const neg = micros < 0n;
  const abs = neg ? -micros : micros;
  const whole = abs / MICROS_PER_UNIT;
  let frac = (abs % MICROS_PER_UNIT).toString().padStart(6, '0').replace(/0+$/, '');
  if (frac.length < 2) frac = frac.padEnd(2, '0');
  return `${neg ? '-' : ''}${whole}.${frac}`;
}

/** Rounds num/den to the nearest integer, halves away from zero (den > 0). */
export function divRound(num: bigint, den: bigint): bigint {
  if (num >= 0n) return (num * 2n + den) / (2n * den);
  return -((-num * 2n + den) / (2n * den));
}
