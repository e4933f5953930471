import { describe, expect, it } from 'vitest';
import { BadRequestError } from '../model/errors.js';
import { matchesSelector, parseSelector, selectorToSql } from './selector.js';

describe('label selectors', () => {
  it('parses every Kubernetes operator', () => {
    expect(parseSelector('a=1, b==2,c!=3, d ,!e, f in (x, y), g notin (z), weft.dev/team')).toEqual([
      { op: 'eq', key: 'a', value: '1' },
      { op: 'eq', key: 'b', value: '2' },
      { op: 'neq', key: 'c', value: '3' },
      { op: 'exists', key: 'd' },
      { op: 'notexists', key: 'e' },
      { op: 'in', key: 'f', values: ['x', 'y'] },
      { op: 'notin', key: 'g', values: ['z'] },
      { op: 'exists', key: 'weft.dev/team' },
    ]);
    expect(parseSelector('')).toEqual([]);
    expect(parseSelector(undefined)).toEqual([]);
    expect(parseSelector('a=')).toEqual([{ op: 'eq', key: 'a', value: '' }]);
  });

  it('rejects malformed selectors with a 400 naming labelSelector', () => {
    for (const bad of ['a=b=c', 'a in (x', 'a in x)', 'a in ()', '(a)', 'a,', ',a', 'a b', 'a=(x)', 'Ä=1', "a='1'", 'a in ((x))']) {
      let err: unknown;
      try {
        parseSelector(bad);
      } catch (e) {
        err = e;
      }
      expect(err, bad).toBeInstanceOf(BadRequestError);
      expect((err as BadRequestError).issues[0]?.field).toBe('labelSelector');
    }
  });

  it('evaluates like Kubernetes: != and notin match objects without the key', () => {
    const labels = { env: 'prod' };
    const m = (s: string): boolean => matchesSelector(parseSelector(s), labels);
    expect(m('env=prod')).toBe(true);
    expect(m('env!=dev')).toBe(true);
    expect(m('tier!=gpu')).toBe(true);
    expect(m('tier notin (gpu)')).toBe(true);
    expect(m('tier in (gpu)')).toBe(false);
    expect(m('!tier')).toBe(true);
    expect(matchesSelector(parseSelector('env'), undefined)).toBe(false);
    expect(matchesSelector(parseSelector('!env,env!=prod,env notin (prod)'), undefined)).toBe(true);
  });

  it('compiles to parameterised SQL only (values never spliced into the text)', () => {
    const params: unknown[] = ['Job'];
    const sql = selectorToSql(parseSelector('a=x1,b in (y1,y2),!c'), 'labels', params);
    expect(sql).toBe('labels @> $2::jsonb AND (labels @> $3::jsonb OR labels @> $4::jsonb) AND NOT (labels ? $5)');
    expect(params).toEqual(['Job', '{"a":"x1"}', '{"b":"y1"}', '{"b":"y2"}', 'c']);
  });
});
