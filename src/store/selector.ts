// Kubernetes label selectors: parsed once into requirements, then either compiled to SQL over the
// `labels` jsonb column (lists, so the GIN index does the work) or evaluated in memory (live
// watch events, which never touch the database).
import { BadRequestError } from '../model/errors.js';

export type Requirement =
  | { op: 'eq' | 'neq'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'exists' | 'notexists'; key: string };

// Same syntax as metadata.labels keys and values accept (src/model/metadata.ts).
const KEY = '(?:[a-z0-9.-]{1,253}/)?[A-Za-z0-9](?:[A-Za-z0-9._-]{0,61}[A-Za-z0-9])?';
const VALUE = '(?:[A-Za-z0-9](?:[A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)?';
const RE_NOT_EXISTS = new RegExp(`^!\\s*(${KEY})$`);
const RE_EXISTS = new RegExp(`^(${KEY})$`);
const RE_EQUALITY = new RegExp(`^(${KEY})\\s*(==|=|!=)\\s*(${VALUE})$`);
const RE_SET = new RegExp(`^(${KEY})\\s+(in|notin)\\s*\\(([^()]*)\\)$`);
const RE_VALUE = new RegExp(`^${VALUE}$`);

function invalid(selector: string, why: string): BadRequestError {
  return new BadRequestError(`invalid label selector "${selector}": ${why}`, [{ field: 'labelSelector', message: why }]);
}

/** Splits on commas that are not inside a parenthesised value set. */
function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      terms.push(selector.slice(start, i));
      start = i + 1;
    }
    if (depth < 0 || depth > 1) throw invalid(selector, 'unbalanced parentheses');
  }
  if (depth !== 0) throw invalid(selector, 'unbalanced parentheses');
  terms.push(selector.slice(start));
  return terms.map((t) => t.trim());
}

export function parseSelector(selector: string | undefined): Requirement[] {
  if (selector === undefined || selector.trim() === '') return [];
  if (selector.length > 4096) throw invalid(selector.slice(0, 40) + '…', 'longer than 4096 characters');
  return splitTerms(selector).map((term): Requirement => {
    if (term === '') throw invalid(selector, 'empty requirement');
    let m = RE_NOT_EXISTS.exec(term);
    if (m) return { op: 'notexists', key: m[1] };
    m = RE_EXISTS.exec(term);
    if (m) return { op: 'exists', key: m[1] };
    m = RE_EQUALITY.exec(term);
    if (m) return { op: m[2] === '!=' ? 'neq' : 'eq', key: m[1], value: m[3] };
    m = RE_SET.exec(term);
    if (m) {
      if (m[3].trim() === '') throw invalid(selector, `empty value set in "${term}"`);
      const values = m[3].split(',').map((v) => v.trim());
      for (const v of values) if (!RE_VALUE.test(v)) throw invalid(selector, `bad value "${v}" in "${term}"`);
      return { op: m[2] === 'in' ? 'in' : 'notin', key: m[1], values };
    }
    throw invalid(selector, `cannot parse "${term}"`);
  });
}

/** Evaluates requirements against an object's labels (absent labels = no labels). */
export function matchesSelector(reqs: readonly Requirement[], labels: Readonly<Record<string, string>> | undefined): boolean {
  for (const r of reqs) {
    const has = labels !== undefined && Object.prototype.hasOwnProperty.call(labels, r.key);
    const v = has ? labels[r.key] : undefined;
    switch (r.op) {
      case 'eq':
        if (v !== r.value) return false;
        break;
      case 'neq':
        if (v === r.value) return false;
        break;
      case 'in':
        if (v === undefined || !r.values.includes(v)) return false;
        break;
      case 'notin':
        if (v !== undefined && r.values.includes(v)) return false;
        break;
      case 'exists':
        if (!has) return false;
        break;
      case 'notexists':
        if (has) return false;
        break;
    }
  }
  return true;
}

/**
 * Compiles requirements to a SQL condition over `column` (a jsonb object of labels), appending
 * bind values to `params`. Returns '' when there is nothing to check. Equality and sets use
 * containment (@>) and existence uses ?, the operators the GIN index serves.
 */
export function selectorToSql(reqs: readonly Requirement[], column: string, params: unknown[]): string {
  const bind = (v: unknown): string => {
    params.push(v);
    return `$${params.length}`;
  };
  const contains = (key: string, value: string): string => `${column} @> ${bind(JSON.stringify({ [key]: value }))}::jsonb`;
  const parts = reqs.map((r) => {
    switch (r.op) {
      case 'eq':
        return contains(r.key, r.value);
      case 'neq':
        return `NOT (${contains(r.key, r.value)})`;
      case 'in':
        return `(${r.values.map((v) => contains(r.key, v)).join(' OR ')})`;
      case 'notin':
        return `NOT (${r.values.map((v) => contains(r.key, v)).join(' OR ')})`;
      case 'exists':
        return `${column} ? ${bind(r.key)}`;
      case 'notexists':
        return `NOT (${column} ? ${bind(r.key)})`;
    }
  });
  return parts.join(' AND ');
}
