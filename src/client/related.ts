// What belongs to an object besides itself: a workload's allocations (its replicas, every
// attempt) and the events about an object. Shared by `weft describe` and the MCP tools.
import type { Resource } from '../model/metadata.js';
import { SYSTEM_PROJECT } from '../model/kind-names.js';
import type { WeftClient } from './client.js';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});

/** Allocations of this workload (every attempt), oldest attempt first. Best effort. */
export async function allocationsOf(client: WeftClient, w: Resource): Promise<Resource[]> {
  try {
    const { items } = await client.list('Allocation', { project: w.metadata.project, labelSelector: `weft.dev/workload=${w.metadata.name}`, autoPaginate: true });
    return items
      .filter((a) => {
        const ref = obj(a.spec.workload);
        return ref.kind === w.kind && ref.name === w.metadata.name && (ref.uid === undefined || ref.uid === w.metadata.uid);
      })
      .sort((a, b) => Number(a.spec.attempt ?? 0) - Number(b.spec.attempt ?? 0) || Number(a.spec.replica ?? 0) - Number(b.spec.replica ?? 0));
  } catch {
    return [];
  }
}

/** When an event last happened. */
export function eventTime(e: Resource): string {
  return (e.spec as { lastTimestamp?: string }).lastTimestamp ?? e.metadata.creationTimestamp;
}

/**
 * The newest `limit` events about `r` or any of `related` ("Kind/name", e.g. its allocations),
 * oldest first. Events about cluster-scoped objects live in the system project. Best effort: a
 * caller who may not read events sees none.
 */
export async function eventsAbout(client: WeftClient, r: Resource, related: ReadonlySet<string> = new Set(), limit = 20): Promise<Resource[]> {
  if (r.kind === 'Event') return [];
  const about = new Set([`${r.kind}/${r.metadata.name}`, ...related]);
  try {
    const { items } = await client.list('Event', { project: r.metadata.project ?? SYSTEM_PROJECT, autoPaginate: true });
    return items
      .filter((e) => {
        const o = (e.spec as { involvedObject?: { kind?: string; name?: string } }).involvedObject;
        return about.has(`${o?.kind ?? ''}/${o?.name ?? ''}`);
      })
      .sort((a, b) => eventTime(a).localeCompare(eventTime(b)))
      .slice(-limit);
  } catch {
    return [];
  }
}
