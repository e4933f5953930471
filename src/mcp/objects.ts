// How objects are shown to an agent: whole (less what it must never see) or as one compact row,
// and the typed inputs that name them. Kinds come from the registry, so a kind added there is
// offered here without an edit.
import { z } from 'zod';
import { LAST_APPLIED_ANNOTATION } from '../client/index.js';
import { KIND_NAMES, WORKLOAD_KINDS, kindNames } from '../model/kind-names.js';
import type { Resource } from '../model/metadata.js';
import { ToolRefusal } from './results.js';

const kinds = KIND_NAMES.map((k) => k.kind) as [string, ...string[]];
const workloadKindList = WORKLOAD_KINDS.map((k) => k.kind) as unknown as [string, ...string[]];

export const kindInput = z.enum(kinds).describe(`Resource kind: ${KIND_NAMES.map((k) => `${k.kind} (${k.scope === 'project' ? 'in a project' : 'cluster-wide'})`).join(', ')}`);
export const workloadKindInput = z.enum(workloadKindList).default('Job').describe(`Workload kind: ${workloadKindList.join(', ')}`);
export const nameInput = z.string().min(1).max(253).describe('Object name (metadata.name)');
export const projectInput = z.string().min(1).max(253).describe('Project the object lives in (required for project-scoped kinds)');

/** Kinds whose values are write-only: an agent sees which keys there are, never what they hold. */
const WRITE_ONLY_FIELDS: Record<string, readonly string[]> = { Secret: ['data', 'stringData', 'values'] };

/**
 * The object as an agent may see it: without the last-applied annotation (a copy of the manifest,
 * which may hold what the server never returns) and with a write-only kind's values replaced by
 * their keys.
 */
export function forAgent(r: Resource): Resource {
  const annotations = { ...(r.metadata.annotations ?? {}) };
  delete annotations[LAST_APPLIED_ANNOTATION];
  const metadata = { ...r.metadata, annotations };
  if (Object.keys(annotations).length === 0) delete (metadata as { annotations?: unknown }).annotations;
  const hidden = WRITE_ONLY_FIELDS[r.kind];
  if (!hidden) return { ...r, metadata };
  const spec: Record<string, unknown> = { ...r.spec };
  for (const field of hidden) {
    const v = spec[field];
    if (v && typeof v === 'object') spec[field] = Object.fromEntries(Object.keys(v).map((k) => [k, '(write-only)']));
    else if (v !== undefined) spec[field] = '(write-only)';
  }
  return { ...r, metadata, spec };
}

export interface Row {
  name: string;
  project?: string;
  /** status.phase, or status.state for a Node. */
  phase?: string;
  created: string;
}

export function rowOf(r: Resource): Row {
  const st = (r.status ?? {}) as { phase?: unknown; state?: unknown };
  const phase = typeof st.phase === 'string' ? st.phase : typeof st.state === 'string' ? st.state : undefined;
  return { name: r.metadata.name, ...(r.metadata.project ? { project: r.metadata.project } : {}), ...(phase ? { phase } : {}), created: r.metadata.creationTimestamp };
}

/** "job/train in project vision" */
export function refText(kind: string, name: string, project?: string): string {
  return `${kind.toLowerCase()}/${name}${project ? ` in project ${project}` : ''}`;
}

/** The project a call addresses: required for project-scoped kinds, ignored for the others. */
export function scopeFor(kind: string, project: string | undefined): { project?: string } {
  if (kindNames(kind).scope === 'cluster') return {};
  if (!project) throw new MissingProject(kind);
  return { project };
}

export class MissingProject extends ToolRefusal {
  constructor(kind: string) {
    super(`${kind} is project-scoped: pass "project"`);
  }
}
