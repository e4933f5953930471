// Live collections shared by every page that shows them: listed once (in big pages), then kept
// current by a watch on the tab's one stream (stream.ts), so any number of them costs one
// connection. Every collection stops a little while after its last viewer leaves (a page come
// back to soon finds it current). Watched changes are batched so thousands of objects re-render
// a page a few times a second at most, not once per event.
import { useSyncExternalStore } from 'react';
import type { Resource } from '../../src/model/metadata.js';
import { WeftApiError, type WeftClient } from '../../src/client/index.js';
import { closeTabStream, tabStream } from './stream.js';
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
  /** `metadata.name=NAME`: one object. */
  fieldSelector?: string;
}

const FLUSH_MS = 150;
const LIST_PAGE = 5000;
/** A collection nobody shows stops this long after its last viewer left (a page come back to soon finds it current). */
const IDLE_STOP_MS = 10_000;

class LiveCollection {
  private readonly objects = new Map<string, Resource>();
  private readonly listeners = new Set<() => void>();
  private state: LiveState = { items: [], ready: false };
  private timer: ReturnType<typeof setTimeout> | undefined;
  private idle: ReturnType<typeof setTimeout> | undefined;
  private abort = new AbortController();
  private running = false;
  /** Its watch on the tab's stream, while it has one. */
  private watchId: string | undefined;

  constructor(private readonly client: WeftClient, private readonly kind: string, private readonly opts: LiveOptions) {}

  private start(): void {
    if (this.running) return;
    this.running = true;
    this.abort = new AbortController();
    void this.load();
  }

  private stop(): void {
    this.running = false;
    this.abort.abort();
    if (this.watchId !== undefined) tabStream(this.client).remove(this.watchId);
    this.watchId = undefined;
  }

  /** Lists in big pages, then watches on from the list's version. */
  private async load(): Promise<void> {
    const signal = this.abort.signal;
    try {
      const list = await this.client.list(this.kind, { ...this.opts, autoPaginate: true, limit: LIST_PAGE });
      if (signal.aborted) return;
      // A restarted collection starts over: what was deleted while it was stopped must go.
      this.objects.clear();
      for (const o of list.items) this.objects.set(keyOf(o), o);
      this.publish({ ready: true, error: undefined });
      this.watchId = tabStream(this.client).add({ kind: this.kind, ...this.opts }, list.resourceVersion, {
        onChange: (type, object) => {
          if (type === 'DELETED') this.objects.delete(keyOf(object));
          else this.objects.set(keyOf(object), object);
          this.schedule();
        },
        onError: (error) => {
          this.watchId = undefined;
          if (signal.aborted) return;
          // Too old to resume (the change log was compacted): list again and watch from there.
          if (error.status === 410) void this.load();
          else this.fail(error);
        },
      });
    } catch (err) {
      if (!signal.aborted) this.fail(err);
    }
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

/** Stops every watch and the stream (sign-out). */
export function closeAll(): void {
  closeSummary();
  for (const c of collections.values()) c.close();
  collections.clear();
  owner = undefined;
  closeTabStream();
}
