// URL parameters and query strings, checked up front so bad input is a 400 naming the parameter.
import { BadRequestError } from '../model/errors.js';
import { NAME_PATTERN } from '../model/common.js';
import type { ListOrder } from '../store/types.js';

const NAME_RE = new RegExp(NAME_PATTERN);
const VERSION_RE = /^[0-9]{1,19}$/;
export const MAX_LIMIT = 10_000;

/** A 400 naming the bad parameter. */
export function badParam(field: string, message: string): BadRequestError {
  return new BadRequestError(`${field}: ${message}`, [{ field, message }]);
}

/** A `{name}` or `{project}` path segment (already percent-decoded by the router). */
export function nameParam(value: unknown, field: string): string {
  if (typeof value !== 'string' || !NAME_RE.test(value)) {
    const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 80)) : 'value';
    throw badParam(field, `${shown} is not a valid name: lower-case letters, digits and "-", 1-63 chars, starting and ending with a letter or digit`);
  }
  return value;
}

export type Query = Record<string, unknown>;

/** An optional query parameter given at most once; absent or empty = undefined. */
export function queryParam(q: Query, key: string): string | undefined {
  const v = q[key];
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string') throw badParam(key, 'must be given at most once');
  return v;
}

function single(q: Query, key: string): string | undefined {
  const v = q[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw badParam(key, 'must be given at most once');
  return v;
}

export function versionParam(q: Query, key = 'resourceVersion'): string | undefined {
  const v = single(q, key);
  if (v === undefined || v === '') return undefined;
  if (!VERSION_RE.test(v)) throw badParam(key, `${JSON.stringify(v.slice(0, 40))} is not a resourceVersion (digits)`);
  return v;
}

export interface ListQuery {
  watch: boolean;
  labelSelector?: string;
  limit?: number;
  continue?: string;
  /** From `fieldSelector=metadata.name=NAME`: only the object with this name (list and watch). */
  name?: string;
  /** Absent = by name; 'newest' = newest first. Lists only: a watch delivers changes in commit order. */
  order?: ListOrder;
  resourceVersion?: string;
}

const FIELD_SELECTOR_HINT = 'only "metadata.name=<name>" is supported';

/**
 * The one field selector the API serves: `metadata.name=NAME` (or `==`), which lets a client
 * follow a single object without listing the collection. Anything else is refused rather than
 * ignored, since a selector silently dropped would return objects the caller asked to exclude.
 */
function fieldSelectorName(selector: string): string {
  const shown = JSON.stringify(selector.slice(0, 80));
  const m = /^metadata\.name==?(.*)$/.exec(selector);
  if (!m) throw badParam('fieldSelector', `${shown} is not supported: ${FIELD_SELECTOR_HINT}`);
  const name = m[1]!;
  if (selector.includes(',')) throw badParam('fieldSelector', `${shown} has several terms: ${FIELD_SELECTOR_HINT}`);
  if (name === '') throw badParam('fieldSelector', `${shown} has no name: ${FIELD_SELECTOR_HINT}`);
  if (!NAME_RE.test(name)) {
    throw badParam('fieldSelector', `${JSON.stringify(name.slice(0, 80))} is not a valid name (lower-case letters, digits and "-", 1-63 chars, starting and ending with a letter or digit): ${FIELD_SELECTOR_HINT}`);
  }
  return name;
}

export function listQuery(q: Query): ListQuery {
  const watch = single(q, 'watch');
  if (watch !== undefined && !['true', 'false', '1', '0', ''].includes(watch)) throw badParam('watch', 'must be true or false');
  const out: ListQuery = { watch: watch === 'true' || watch === '1' || watch === '' };
  const selector = single(q, 'labelSelector');
  if (selector !== undefined && selector !== '') {
    if (selector.length > 4096) throw badParam('labelSelector', 'is too long');
    out.labelSelector = selector;
  }
  const fields = single(q, 'fieldSelector');
  if (fields !== undefined && fields !== '') out.name = fieldSelectorName(fields);
  const limit = single(q, 'limit');
  if (limit !== undefined && limit !== '') {
    const n = Number(limit);
    if (!/^[0-9]+$/.test(limit) || n < 1 || n > MAX_LIMIT) throw badParam('limit', `must be an integer from 1 to ${MAX_LIMIT}`);
    out.limit = n;
  }
  const cont = single(q, 'continue');
  if (cont !== undefined && cont !== '') {
    if (cont.length > 4096 || !/^[A-Za-z0-9_=.:+/-]+$/.test(cont)) throw badParam('continue', 'is not a continue token from a previous page');
    out.continue = cont;
  }
  const order = single(q, 'order');
  if (order !== undefined && order !== '') {
    if (order !== 'name' && order !== 'newest') throw badParam('order', `${JSON.stringify(order.slice(0, 40))} is not an order: use "name" or "newest"`);
    out.order = order;
  }
  const rv = versionParam(q);
  if (rv !== undefined) out.resourceVersion = rv;
  return out;
}
