// resourceVersion strings and list continue tokens: parsing them is input validation, so every
// failure is a 400 that names the field.
import { BadRequestError } from '../model/errors.js';

const MAX_RV = (1n << 63n) - 1n;

/** Parses a client-supplied resourceVersion ("0", "42"); BadRequestError for anything else. */
export function parseRv(value: string | undefined, field = 'resourceVersion'): bigint {
  if (value === undefined || !/^[0-9]{1,19}$/.test(value) || BigInt(value) > MAX_RV) {
    throw new BadRequestError(`${field} must be a non-negative integer string`, [{ field, message: 'not a resourceVersion' }]);
  }
  return BigInt(value);
}

/** Where the next page starts: after (project, name), read as part of the list at resourceVersion rv. */
export interface ContinueToken {
  rv: string;
  project: string;
  name: string;
}

/**
 * Where the next page of a newest-first list starts: after the object created at `createdAt`
 * (the database's own microsecond value, as UTC ISO 8601 text with six fractional digits) and
 * named (project, name). The full-precision time keeps ties and sub-millisecond differences exact.
 */
export interface NewestContinueToken extends ContinueToken {
  createdAt: string;
}

// Token forms: [1, rv, project, name] for name order; [2, rv, createdAt, project, name] for
// newest order. The leading number is what lets a token for one order be refused by the other
// instead of being misread as a position in a different sequence.
const NAME_FORM = 1;
const NEWEST_FORM = 2;
const RV_RE = /^[0-9]{1,19}$/;
const CREATED_RE = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z$/;

export function encodeContinue(t: ContinueToken): string {
  return Buffer.from(JSON.stringify([NAME_FORM, t.rv, t.project, t.name]), 'utf8').toString('base64url');
}

export function encodeNewestContinue(t: NewestContinueToken): string {
  return Buffer.from(JSON.stringify([NEWEST_FORM, t.rv, t.createdAt, t.project, t.name]), 'utf8').toString('base64url');
}

/** A real calendar instant: the text goes into SQL as a timestamp, and a bad one must be a 400, not a 500. */
function validCreatedAt(v: string): boolean {
  if (!CREATED_RE.test(v)) return false;
  const ms = `${v.slice(0, 23)}Z`;
  const d = new Date(ms);
  return !Number.isNaN(d.getTime()) && d.toISOString() === ms;
}

/**
 * Reads a token issued by encodeContinue (order 'name', the default) or encodeNewestContinue
 * (order 'newest'); a token of the other order, or anything else, is a 400 naming `continue`.
 */
export function decodeContinue(token: string, order?: 'name'): ContinueToken;
export function decodeContinue(token: string, order: 'newest'): NewestContinueToken;
export function decodeContinue(token: string, order: 'name' | 'newest' = 'name'): ContinueToken | NewestContinueToken {
  const bad = (message = 'not a token this server issued'): BadRequestError => new BadRequestError('invalid continue token', [{ field: 'continue', message }]);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (!Array.isArray(parsed)) throw bad();
  const form = parsed[0] as unknown;
  const want = order === 'newest' ? NEWEST_FORM : NAME_FORM;
  if ((form === NAME_FORM || form === NEWEST_FORM) && form !== want) {
    throw bad(`issued for order=${form === NEWEST_FORM ? 'newest' : 'name'}, not order=${order}; start again without continue`);
  }
  if (form === NAME_FORM && parsed.length === 4) {
    const [, rv, project, name] = parsed as unknown[];
    if (typeof rv !== 'string' || typeof project !== 'string' || typeof name !== 'string' || !RV_RE.test(rv)) throw bad();
    return { rv, project, name };
  }
  if (form === NEWEST_FORM && parsed.length === 5) {
    const [, rv, createdAt, project, name] = parsed as unknown[];
    if (typeof rv !== 'string' || typeof createdAt !== 'string' || typeof project !== 'string' || typeof name !== 'string') throw bad();
    if (!RV_RE.test(rv) || !validCreatedAt(createdAt)) throw bad();
    return { rv, createdAt, project, name };
  }
  throw bad();
}
