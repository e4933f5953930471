// Computes what `apply` must change. Like kubectl, the last applied manifest is kept in an
// annotation, so that a field removed from the manifest is removed from the object, while fields
// the server filled in (defaults) or that nobody applied are left alone. An empty patch means
// "unchanged": apply then writes nothing.
import type { Resource, ResourceInput } from '../model/metadata.js';

export const LAST_APPLIED_ANNOTATION = 'weft.dev/last-applied';

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export function isObject(v: unknown): v is JsonObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}

/**
 * A JSON merge patch (RFC 7396) turning `live` into `desired`: keys of `desired` that differ are
 * set, keys that were in `last` (previously applied) but are gone from `desired` are nulled.
 * Objects recurse; arrays and scalars are replaced whole.
 */
export function threeWayPatch(last: unknown, desired: JsonObject, live: unknown): JsonObject {
  const liveObj = isObject(live) ? live : {};
  const lastObj = isObject(last) ? last : {};
  const patch: JsonObject = {};
  for (const [k, want] of Object.entries(desired)) {
    const have = liveObj[k];
    if (isObject(want) && isObject(have)) {
      const sub = threeWayPatch(lastObj[k], want, have);
      if (Object.keys(sub).length > 0) patch[k] = sub;
    } else if (!deepEqual(want, have)) {
      patch[k] = want;
    }
  }
  for (const k of Object.keys(lastObj)) {
    if (!(k in desired) && k in liveObj) patch[k] = null;
  }
  return patch;
}

/** The user-owned part of a manifest, with the last-applied annotation added. */
export function applyIntent(input: ResourceInput): { intent: JsonObject; serialized: string } {
  const { labels, annotations } = input.metadata;
  const manifest: JsonObject = {
    apiVersion: input.apiVersion,
    kind: input.kind,
    metadata: stripUndefined({ name: input.metadata.name, project: input.metadata.project, labels, annotations }),
    spec: (input.spec ?? {}) as JsonObject,
  };
  const serialized = JSON.stringify(manifest);
  const metadata: JsonObject = { annotations: { ...(annotations ?? {}), [LAST_APPLIED_ANNOTATION]: serialized } };
  if (labels) metadata.labels = labels;
  return { intent: { metadata, spec: manifest.spec }, serialized };
}

/** The merge patch apply sends for an existing object; empty when nothing would change. */
export function applyPatch(input: ResourceInput, live: Resource): JsonObject {
  const { intent } = applyIntent(input);
  const lastRaw = live.metadata.annotations?.[LAST_APPLIED_ANNOTATION];
  let last: JsonObject = {};
  if (lastRaw) {
    try {
      const parsed: unknown = JSON.parse(lastRaw);
      if (isObject(parsed)) last = { metadata: isObject(parsed.metadata) ? parsed.metadata : {}, spec: isObject(parsed.spec) ? parsed.spec : {} };
    } catch {
      // A hand-edited, unreadable annotation: fall back to a two-way comparison.
    }
  }
  const liveView: JsonObject = {
    metadata: stripUndefined({ labels: live.metadata.labels, annotations: live.metadata.annotations }),
    spec: (live.spec ?? {}) as JsonObject,
  };
  return threeWayPatch(last, intent, liveView);
}

function stripUndefined(o: Record<string, unknown>): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v as Json;
  return out;
}
