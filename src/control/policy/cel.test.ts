// The CEL layer on its own: type errors with positions, the cost limit, safe patterns, and the
// JSON ↔ CEL conversions.
import { describe, expect, it } from 'vitest';
import { CelCompileError, CelRequest, CelRuntimeError, CelUser, compileCel, COST_LIMIT, fromCel, toCel, type CelBindings } from './cel.js';

const bind = (object: unknown): CelBindings => ({
  object: toCel(object),
  oldObject: null,
  project: null,
  user: new CelUser('alice', 'user', 'member', [], {}, 0),
  request: new CelRequest('CREATE', 'Job', 'j', 'p', 0, ''),
});

function compileFails(source: string): CelCompileError {
  try {
    compileCel(source, 'bool');
  } catch (e) {
    if (e instanceof CelCompileError) return e;
    throw e;
  }
  throw new Error(`"${source}" compiled`);
}

describe('compileCel', () => {
  it('refuses a syntax error with its line and column', () => {
    const e = compileFails('object.spec.replicas <=\n  ');
    expect(e.position).toEqual({ line: 2, column: 3 });
    expect(e.message).toMatch(/^line 2, column 3: /);
  });

  it('refuses type errors, unknown variables and misspelt request fields where they are', () => {
    expect(compileFails('size(object.metadata.labels) > "8"').message).toContain('no such overload');
    expect(compileFails('objekt.spec.replicas > 1').message).toMatch(/line 1, column 1: Unknown variable: objekt/);
    const typo = compileFails('request.opertion == "CREATE"');
    expect(typo.message).toContain('opertion');
    expect(typo.position).toEqual({ line: 1, column: 9 });
  });

  it('refuses an expression that does not give a bool', () => {
    expect(compileFails('"yes"').message).toContain('must give a bool, but gives string');
    expect(compileCel('object.spec.flag', 'bool').type).toBe('dyn'); // checked when it runs
  });

  it('takes JSON integers as CEL ints and fractions as doubles', () => {
    const p = compileCel('object.spec.replicas * 2 == 8 && object.spec.resources.gpu.share < 0.5', 'bool');
    expect(p.run(bind({ spec: { replicas: 4, resources: { gpu: { share: 0.25 } } } }))).toBe(true);
  });

  it('stops an evaluation at the cost limit, even inside a macro or behind ||', () => {
    const list = Array.from({ length: 1000 }, (_, i) => i);
    const cheap = compileCel('object.l.all(x, x >= 0)', 'bool');
    expect(cheap.run(bind({ l: list }))).toBe(true);
    const quadratic = compileCel('object.l.all(x, object.l.all(y, y >= 0))', 'bool');
    expect(() => quadratic.run(bind({ l: list }))).toThrow(new CelRuntimeError(`exceeded the cost limit of ${COST_LIMIT} evaluation steps`));
    const hidden = compileCel('object.l.exists(x, object.l.exists(y, y < 0)) || true', 'bool');
    expect(() => hidden.run(bind({ l: list }))).toThrow(/cost limit/);
    // The same expression on a small list is fine: the limit counts steps actually taken.
    expect(quadratic.run(bind({ l: list.slice(0, 50) }))).toBe(true);
  });

  it('accepts only literal, linear-time patterns for matches()', () => {
    expect(compileCel('object.metadata.name.matches("^[a-z]+-[0-9]+$")', 'bool').run(bind({ metadata: { name: 'abc-12' } }))).toBe(true);
    expect(compileFails('object.metadata.name.matches("^(a+)+$")').message).toContain('exponential time');
    expect(compileFails('object.metadata.name.matches(object.spec.pattern)').message).toContain('string literal');
  });
});

describe('fromCel', () => {
  it('gives JSON back, refusing what JSON cannot hold', () => {
    expect(fromCel(toCel({ a: 1, b: [2.5, 'x'], c: null }))).toEqual({ a: 1, b: [2.5, 'x'], c: null });
    expect(fromCel(new Map([['k', 3n]]))).toEqual({ k: 3 });
    expect(() => fromCel(2n ** 60n)).toThrow(/too large/);
    expect(() => fromCel(new Uint8Array(2))).toThrow(/cannot be written/);
  });
});
