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

export function encodeContinue(t: ContinueToken): string {
  return Buffer.from(JSON.stringify([1, t.rv, t.project, t.name]), 'utf8').toString('base64url');
}

export function decodeContinue(token: string): ContinueToken {
  const bad = (): BadRequestError => new BadRequestError('invalid continue token', [{ field: 'continue', message: 'not a token this server issued' }]);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (!Array.isArray(parsed) || parsed.length !== 4 || parsed[0] !== 1) throw bad();
  const [, rv, project, name] = parsed as unknown[];
  if (typeof rv !== 'string' || typeof project !== 'string' || typeof name !== 'string' || !/^[0-9]{1,19}$/.test(rv)) throw bad();
  return { rv, project, name };
}
