// What the contract suite needs from an engine, and small helpers shared by its parts.
import type { ResourceInput } from '../../model/metadata.js';
import type { Store, WatchEvent, WatchOptions } from '../types.js';

export interface HarnessOpenOptions {
  /** Events a watcher may have waiting before it falls back to reading the log. */
  watchBuffer?: number;
}

/** One empty storage location (a temp directory, a fresh database) that stores can be opened on. */
export interface StoreHarness {
  /** Opens a store on this storage; may be called again after close to reopen the same data. */
  open(opts?: HarnessOpenOptions): Promise<Store>;
  /** True when several stores may be open on the storage at once (several server processes). */
  readonly multiOpen: boolean;
  /** Removes the storage; every store opened on it must be closed first. */
  destroy(): Promise<void>;
}

export type HarnessFactory = () => Promise<StoreHarness>;

export interface Ctx {
  factory: HarnessFactory;
  harness: StoreHarness;
  store: Store;
}

let seq = 0;
const run = Math.random().toString(36).slice(2, 7);
/** A name no other test uses (names are DNS labels: lower case, digits, '-'). */
export function uniq(prefix: string): string {
  return `${prefix}-${run}-${++seq}`;
}

export function job(project: string, name: string, spec: Record<string, unknown> = { replicas: 1 }, labels?: Record<string, string>): ResourceInput {
  return { apiVersion: 'weft/v1', kind: 'Job', metadata: { name, project, ...(labels ? { labels } : {}) }, spec };
}

export function node(name: string, spec: Record<string, unknown> = { cpu: '8' }, labels?: Record<string, string>): ResourceInput {
  return { apiVersion: 'weft/v1', kind: 'Node', metadata: { name, ...(labels ? { labels } : {}) }, spec };
}

/**
 * Watches until `done(events)` says so (or 15 s pass, which then shows up as a failed assertion
 * on the partial result rather than a hung test).
 */
export async function collect(store: Store, opts: Omit<WatchOptions, 'signal'>, done: (evs: WatchEvent[]) => boolean): Promise<WatchEvent[]> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), 15_000);
  const out: WatchEvent[] = [];
  try {
    if (done(out)) return out;
    for await (const e of store.watch({ ...opts, signal: ac.signal })) {
      out.push(e);
      if (done(out)) break;
    }
  } finally {
    clearTimeout(timer);
    ac.abort();
  }
  return out;
}

/** Stops when an event for the object called `name` arrives: the sentinel written last. */
export const untilName = (name: string) => (evs: WatchEvent[]): boolean => evs.some((e) => e.object.metadata.name === name);

export function settled<T>(ps: Promise<T>[]): Promise<PromiseSettledResult<T>[]> {
  return Promise.allSettled(ps);
}
