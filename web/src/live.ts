// Live collections shared by every page that shows them. A browser keeps at most six HTTP/1.1
// connections per server and each watch holds one open, so only the big, busy kinds (nodes,
// allocations, jobs) and single objects (by name) are watched; the rest are re-listed every few
// seconds while a page shows them. Every collection stops a little while after its last viewer
// leaves, so the watches of pages visited earlier never starve new requests of a connection.
// Watched changes are batched so thousands of objects re-render a page a few times a second at
// most, not once per event.
import { useSyncExternalStore } from 'react';
import type { Resource } from '../../src/model/metadata.js';
import { WeftApiError, type WeftClient } from '../../src/client/index.js';
import { closeSummary } from './summary.js';

export interface LiveState {
  items: Resource[];
  /** The first complete list has arrived. */
  ready: boolean;
  /** Why the collection cannot be shown (forbidden, unknown kind on this server…). */
  error?: string;
  /** The server answered 404: the kind does not exist there. */
  missing?: boolean;
}

export interface LiveOptions {
  project?: string;
  labelSelector?: string;
  /** `metadata.name=NAME`: one object, watched. */
  fieldSelector?: string;
}

const WATCHED = new Set(['nodes', 'allocations', 'jobs']);
const FLUSH_MS = 150;
const LIST_PAGE = 5000;
const POLL_MS = 3000;
/** A collection nobody shows stops this long after its last viewer left (a page come back to soon finds it current). */
const IDLE_STOP_MS = 10_000;

class LiveCollection {
  private readonly objects = new Map<string, Resource>();
  private readonly listeners = new Set<() => void>();
  private state: LiveState = { items: [], ready: false };
  private timer: ReturnType<typeof setTimeout> | undefined;
  private poller: ReturnType<typeof setTimeout> | undefined;
  private idle: ReturnType<typeof setTimeout> | undefined;
  private abort = new AbortController();
  private running = false;
  private polled = false;
  private polling = false;
  private again = false;

  constructor(private readonly client: WeftClient, private readonly kind: string, private readonly opts: LiveOptions) {}

  private start(): void {
    if (this.running) return;
    this.running = true;
    this.abort = new AbortController();
    this.polled = !((WATCHED.has(this.kind) || this.opts.fieldSelector) && !this.opts.labelSelector);
    void (this.polled ? this.poll() : this.watch());
  }

  private stop(): void {
    this.running = false;
    this.abort.abort();
    if (this.poller) clearTimeout(this.poller);
  }

  private async watch(): Promise<void> {
    const signal = this.abort.signal;
    try {
      // List in big pages first (the watch's own relist uses small ones), then watch from there.
      const first = await this.client.list(this.kind, { ...this.opts, autoPaginate: true, limit: LIST_PAGE });
      if (signal.aborted) return;
      // A restarted collection starts over: what was deleted while it was stopped must go.
      this.objects.clear();
      for (const o of first.items) this.objects.set(keyOf(o), o);
      this.publish({ ready: true, error: undefined });
      for await (const msg of this.client.watch(this.kind, { ...this.opts, resourceVersion: first.resourceVersion, signal })) {
        if (msg.type === 'SYNC') {
          this.objects.clear();
          for (const o of msg.objects) this.objects.set(keyOf(o), o);
          this.publish({ ready: true, error: undefined });
          continue;
        }
        if (msg.type === 'DELETED') this.objects.delete(keyOf(msg.object));
        else this.objects.set(keyOf(msg.object), msg.object);
        this.schedule();
      }
    } catch (err) {
      if (!signal.aborted) this.fail(err);
    }
  }

  private async poll(): Promise<void> {
    const signal = this.abort.signal;
    this.polling = true;
    try {
      const list = await this.client.list(this.kind, { ...this.opts, autoPaginate: true, limit: LIST_PAGE });
      if (signal.aborted) return;
      this.objects.clear();
      for (const o of list.items) this.objects.set(keyOf(o), o);
      this.publish({ ready: true, error: undefined });
    } catch (err) {
      if (signal.aborted) return;
      this.fail(err);
      if (this.state.missing) return;
    } finally {
      this.polling = false;
    }
    if (this.again) {
      this.again = false;
      return this.poll();
    }
    this.poller = setTimeout(() => void this.poll(), POLL_MS);
  }

  /** A polled collection re-lists now rather than at its next turn (something it shows changed). */
  pollNow(): void {
    if (!this.running || !this.polled) return;
    if (this.polling) {
      this.again = true;
      return;
    }
    if (this.poller) clearTimeout(this.poller);
    void this.poll();
  }

  private fail(err: unknown): void {
    const missing = err instanceof WeftApiError && err.status === 404;
    this.publish({ ready: true, error: err instanceof Error ? err.message : String(err), missing });
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => this.publish({}), FLUSH_MS);
  }

  private publish(extra: Partial<LiveState>): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.state = { ...this.state, ...extra, items: [...this.objects.values()] };
    for (const l of this.listeners) l();
  }

  subscribe = (cb: () => void): (() => void) => {
    this.listeners.add(cb);
    if (this.idle) clearTimeout(this.idle);
    this.start();
    return () => {
      this.listeners.delete(cb);
      if (this.listeners.size === 0) this.idle = setTimeout(() => this.stop(), IDLE_STOP_MS);
    };
  };

  snapshot = (): LiveState => this.state;

  close(): void {
    if (this.idle) clearTimeout(this.idle);
    this.stop();
  }
}

function keyOf(o: Resource): string {
  return `${o.metadata.project ?? ''}/${o.metadata.name}`;
}

const collections = new Map<string, LiveCollection>();
let owner: WeftClient | undefined;

function collection(client: WeftClient, kind: string, opts: LiveOptions): LiveCollection {
  if (owner !== client) closeAll();
  owner = client;
  const key = keyFor(kind, opts);
  let c = collections.get(key);
  if (!c) {
    c = new LiveCollection(client, kind, opts);
    collections.set(key, c);
  }
  return c;
}

function keyFor(kind: string, opts: LiveOptions): string {
  return `${kind}|${opts.project ?? ''}|${opts.labelSelector ?? ''}|${opts.fieldSelector ?? ''}`;
}

/** The collection was listed completely before (an earlier page opened it) and is kept current. */
export function isLoaded(client: WeftClient, kind: string, opts: LiveOptions = {}): boolean {
  return owner === client && collections.get(keyFor(kind, opts))?.snapshot().ready === true;
}

/** Asks a polled collection to re-list at once, e.g. a workload's allocations when the workload changed. */
export function refreshLive(client: WeftClient, kind: string, opts: LiveOptions = {}): void {
  if (owner === client) collections.get(keyFor(kind, opts))?.pollNow();
}

/** Every object of `kind` the signed-in user may see (narrowed by `opts`), kept current. */
export function useLive(client: WeftClient, kind: string, opts: LiveOptions = {}, enabled = true): LiveState {
  const c = collection(client, kind, opts);
  // Disabled: nothing is fetched until the caller is ready for it (a page loading a small first
  // page before the whole collection), and the caller sees the collection as not ready yet.
  return useSyncExternalStore(enabled ? c.subscribe : noSubscription, enabled ? c.snapshot : notReady);
}

const NOT_READY: LiveState = { items: [], ready: false };
const notReady = (): LiveState => NOT_READY;
const noSubscription = (): (() => void) => () => undefined;

/** Stops every watch and poll (sign-out). */
export function closeAll(): void {
  closeSummary();
  for (const c of collections.values()) c.close();
  collections.clear();
  owner = undefined;
}
