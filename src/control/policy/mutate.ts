// Mutation paths: where a policy may write a value. A path is dotted segments, with ["…"] for a
// key that holds dots or slashes (label keys): `spec.priorityClass`, `metadata.labels.team`,
// `metadata.labels["weft.dev/cost-centre"]`. Only the spec, labels and annotations are writable:
// a policy never renames, moves or re-owns an object.

export type MutationPath = readonly string[];

const SEGMENT = /^[A-Za-z_][A-Za-z0-9_-]*$/;

export function parseMutationPath(text: string): MutationPath {
  const segs: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] === '[') {
      const m = /^\[\s*"((?:[^"\\]|\\.)*)"\s*\]/.exec(text.slice(i));
      if (!m) throw new Error(`at character ${i + 1}: expected ["key"]`);
      segs.push(JSON.parse(`"${m[1]}"`) as string);
      i += m[0].length;
    } else {
      const end = text.slice(i).search(/[.[]/);
      const seg = end < 0 ? text.slice(i) : text.slice(i, i + end);
      if (!SEGMENT.test(seg)) throw new Error(`at character ${i + 1}: "${seg}" is not a field name (use ["…"] for keys with other characters)`);
      segs.push(seg);
      i += seg.length;
    }
    if (i < text.length && text[i] === '.') {
      i++;
      if (i === text.length) throw new Error('ends with "."');
    } else if (i < text.length && text[i] !== '[') throw new Error(`at character ${i + 1}: unexpected "${text[i]}"`);
  }
  const [root, second] = segs;
  const writable = (root === 'spec' && segs.length >= 2) || (root === 'metadata' && (second === 'labels' || second === 'annotations') && segs.length === 3);
  if (!writable) throw new Error('a policy may write only under spec, or one key of metadata.labels or metadata.annotations');
  return segs;
}

export function formatPath(path: MutationPath): string {
  return path.map((s, i) => (SEGMENT.test(s) ? `${i === 0 ? '' : '.'}${s}` : `[${JSON.stringify(s)}]`)).join('');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Whether `doc` already holds a value at `path`. */
export function hasPath(doc: Record<string, unknown>, path: MutationPath): boolean {
  let at: unknown = doc;
  for (const seg of path) {
    if (!isObject(at) || !(seg in at)) return false;
    at = at[seg];
  }
  return at !== undefined && at !== null;
}

/** Writes `value` at `path`, making missing objects on the way; throws when the way is not an object. */
export function setPath(doc: Record<string, unknown>, path: MutationPath, value: unknown): void {
  let at: Record<string, unknown> = doc;
  for (let i = 0; i < path.length - 1; i++) {
    const seg = path[i]!;
    const next = at[seg];
    if (next === undefined || next === null) at[seg] = {};
    else if (!isObject(next)) throw new Error(`${formatPath(path.slice(0, i + 1))} is not an object`);
    at = at[seg] as Record<string, unknown>;
  }
  at[path[path.length - 1]!] = value;
}
