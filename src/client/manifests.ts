// Manifests as text: YAML (multi-document) or JSON, `kind: List` flattened, each checked just
// enough to address it (the server validates the rest), and the order apply creates them in.
// Read by `weft apply`/`delete`/`explain` (from files) and by the MCP tools (from an agent).
import { parseAllDocuments } from 'yaml';
import type { ResourceInput } from '../model/metadata.js';
import { resolveKind, unknownKindMessage } from '../model/registry.js';

export interface Manifest {
  /** Where it came from, for messages: "examples/jobs.yaml#2". */
  source: string;
  resource: ResourceInput;
}

/** A manifest that cannot be read: the message names where and why. */
export class ManifestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ManifestError';
  }
}

/**
 * The order apply creates things in, so a directory applies in one go whatever the file names:
 * what others refer to (sites, priority classes, projects, queues) comes before what refers to it.
 */
const KIND_ORDER = ['Site', 'PriorityClass', 'Project', 'Queue', 'User', 'Node'];

export function sortForApply<M extends Manifest>(items: M[]): M[] {
  const rank = (m: M): number => {
    const i = KIND_ORDER.indexOf(m.resource.kind);
    return i === -1 ? KIND_ORDER.length : i;
  };
  return items.map((m, i) => ({ m, i })).sort((a, b) => rank(a.m) - rank(b.m) || a.i - b.i).map((x) => x.m);
}

export function parseManifests(text: string, source: string): Manifest[] {
  const docs = parseAllDocuments(text, { prettyErrors: true });
  const list = Array.isArray(docs) ? docs : [docs];
  const out: Manifest[] = [];
  list.forEach((doc, i) => {
    const where = list.length > 1 ? `${source}#${i + 1}` : source;
    const err = doc.errors[0];
    if (err) {
      const pos = err.linePos?.[0];
      throw new ManifestError(`${source}${pos ? `:${pos.line}:${pos.col}` : ''}: not valid YAML or JSON: ${yamlProblem(err.message)}`);
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) return; // empty document, e.g. a trailing "---"
    for (const item of flatten(value)) out.push({ source: where, resource: checkEnvelope(item, where) });
  });
  return out;
}

/**
 * The parser's message without its trailing "at line 5, column 1:" (the position is already in
 * front), followed by the lines it quotes with the caret under the spot.
 */
export function yamlProblem(message: string): string {
  const [first = '', ...excerpt] = message.split('\n');
  const what = first.replace(/ at line \d+, column \d+:?$/, '').replace(/:$/, '');
  const shown = excerpt.filter((l) => l.trim() !== '');
  return shown.length > 0 ? `${what}\n${shown.map((l) => `  ${l}`).join('\n')}` : what;
}

function flatten(value: unknown): unknown[] {
  if (Array.isArray(value)) return value.flatMap(flatten);
  const v = value as { kind?: unknown; items?: unknown };
  if (v && typeof v === 'object' && v.kind === 'List' && Array.isArray(v.items)) return v.items.flatMap(flatten);
  return [value];
}

/** Just enough checking to address the object; the server validates everything else. */
function checkEnvelope(value: unknown, where: string): ResourceInput {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new ManifestError(`${where}: a manifest must be a mapping with kind, metadata and spec`);
  const v = value as { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown } };
  if (typeof v.kind !== 'string') throw new ManifestError(`${where}: kind: is required`);
  if (!resolveKind(v.kind)) throw new ManifestError(`${where}: kind: ${unknownKindMessage(v.kind, 'kind')}`);
  if (!v.metadata || typeof v.metadata !== 'object' || typeof v.metadata.name !== 'string') {
    throw new ManifestError(`${where}: metadata.name: is required`);
  }
  if (v.apiVersion === undefined) (value as { apiVersion: string }).apiVersion = 'weft/v1';
  return value as ResourceInput;
}
