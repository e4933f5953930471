// URL paths of the generic resource API, derived from the kind registry.
import { resolveKindNames, type KindNames } from '../model/kind-names.js';

export const API_PREFIX = '/api/v1';

/** Resolves what a user typed ("job", "jobs", "Job") or throws a readable error. */
export function kindOf(name: string): KindNames {
  const def = resolveKindNames(name);
  if (!def) throw new UnknownKindError(name);
  return def;
}

export class UnknownKindError extends Error {
  constructor(readonly kind: string) {
    super(`unknown kind "${kind}"`);
    this.name = 'UnknownKindError';
  }
}

/** Where is a project-scoped kind addressed from: one project, or across every visible project. */
export interface Scope {
  project?: string;
}

/**
 * Collection or item path. Project-scoped kinds without a project use the cross-project list,
 * which only supports reads.
 */
export function resourcePath(def: KindNames, scope: Scope, name?: string): string {
  const seg = name === undefined ? '' : `/${encodeURIComponent(name)}`;
  if (def.scope === 'project' && scope.project) {
    return `${API_PREFIX}/projects/${encodeURIComponent(scope.project)}/${def.plural}${seg}`;
  }
  if (def.scope === 'project' && name !== undefined) {
    throw new MissingProjectError(def.kind);
  }
  return `${API_PREFIX}/${def.plural}${seg}`;
}

export class MissingProjectError extends Error {
  constructor(readonly kind: string) {
    super(`${kind} is project-scoped: set metadata.project or pass -p/--project`);
    this.name = 'MissingProjectError';
  }
}
