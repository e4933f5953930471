// The field a ValidationError names, or undefined when the call did not throw one.
import type { ValidationError } from '../../model/errors.js';

export function fieldOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return (e as ValidationError).issues?.[0]?.field;
  }
  return undefined;
}
