// The informer: how every long-running part of the server follows the store (DESIGN §5). It
// lists each source, then follows one watch from the oldest list's version; a change already
// reflected in its kind's list, or older than what the cache holds, is dropped, so each change
// reaches the handler once, with the value it replaces. A watch that falls behind the change
// log (410 Gone) makes it list again and deliver only the differences — objects gone since
// arrive as DELETED — so a user's own state stays right without starting over; a watch that
// merely broke resumes where it was. The kinds are listed one after another, so their lists can
// be of different versions (a Project listed before it was restricted, a Job listed after it was
// created); until the watch has brought every kind to the newest list's version, changes are
// held back and `synced` waits, so a user never acts on a mix of two moments. Optionally every
// cached value is handed over again as SYNC each resyncMs, for users that act on time as well as
// on change.
import { setTimeout as delay } from 'node:timers/promises';
import { GoneError } from '../model/errors.js';
import type { Resource } from '../model/metadata.js';
import { matchesSelector, parseSelector, type Requirement } from '../store/selector.js';
import type { Store, WatchEvent } from '../store/types.js';

export interface InformerSource {
  kind: string;
  labelSelector?: string;
}

export type InformerEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'SYNC';

export interface InformerEvent<T> {
  type: InformerEventType;
  /**
   * The object as stored; for DELETED its last version. When the informer keeps something else
   * than the objects (a transform), a DELETED or SYNC it derives itself (after a relist, on
   * resync) carries only the object's metadata.
   */
  object: Resource;
  /** What the cache keeps for the object now; for DELETED what it kept until now. */
  value: T;
  /** What the cache kept before this event; undefined when it kept nothing (ADDED, or a partial cache). */
  previous?: T;
  /** From the first list: the object was there before the informer started; it did not just change. */
  initial?: boolean;
}

export interface InformerOptions<T> {
  store: Store;
  /** What to follow. Several sources share one watch. */
  sources: readonly InformerSource[];
  /** Called for every change, in order; an exception ends run() with it (a bug, not bad data). */
  onEvent: (ev: InformerEvent<T>) => void;
  /**
   * What to keep of each object (default: the object). Returning undefined leaves an object out
   * of the cache (a cached one is then DELETED), so a user can keep only what it needs.
   */
  transform?: (o: Resource) => T | undefined;
  /**
   * Follow changes after this version with an empty cache instead of listing first, for a user
   * that has read everything up to it another way. Until a 410 makes it list, the cache is
   * partial: changes to objects it has not seen arrive with no `previous`, deletions included.
   */
  resourceVersion?: string;
  /** Hand every cached value over again as SYNC this often (default: never). */
  resyncMs?: number;
  /** Pause before listing or watching again after the store failed (default 500 ms). */
  retryMs?: number;
  log?: (msg: string) => void;
}

interface Entry<T> {
  rv: bigint;
  value: T;
  /** The object when the value is the object; otherwise its metadata, for derived events. */
  object: Resource;
}

/** An exception of the user's handler: it ends run() instead of being retried like the store's. */
class HandlerFailure extends Error {
  constructor(readonly original: unknown) {
    super('informer handler failed');
  }
}

const keyOf = (kind: string, project: string | undefined, name: string): string => `${kind}/${project ?? ''}/${name}`;

export class Informer<T = Resource> {
  private readonly cache = new Map<string, Entry<T>>();
  /** Per kind, the version its last list was read at: changes up to it are in the cache already. */
  private readonly listedAt = new Map<string, bigint>();
  private readonly selectors: { kind: string; reqs: Requirement[] }[];
  private readonly kinds: string[];
  private partial: boolean;
  /** The version of the last change the watch delivered (of any kind it was given). */
  private seen = 0n;
  /** Where the watch stopped: a later run() resumes there, and lists again only after a 410. */
  private resumeFrom: string | undefined;
  private readonly progress = new Set<() => void>();
  /** While set, the lists' versions differ and the watch has not yet reached the newest one. */
  private catchUpTo: bigint | undefined;
  /** Changes held back meanwhile, in order. */
  private held: InformerEvent<T>[] = [];
  private markSynced!: () => void;
  /**
   * Resolves once the first lists have been delivered and the cache is of one version (at once
   * when started from a version).
   */
  readonly synced = new Promise<void>((r) => (this.markSynced = r));

  constructor(private readonly opts: InformerOptions<T>) {
    this.selectors = opts.sources.map((s) => ({ kind: s.kind, reqs: parseSelector(s.labelSelector) }));
    this.kinds = [...new Set(opts.sources.map((s) => s.kind))];
    this.partial = opts.resourceVersion !== undefined;
  }

  get(kind: string, project: string | undefined, name: string): T | undefined {
    return this.cache.get(keyOf(kind, project, name))?.value;
  }

  /** Every cached value (of one kind, when given). */
  *values(kind?: string): IterableIterator<T> {
    const prefix = kind === undefined ? undefined : `${kind}/`;
    for (const [k, e] of this.cache) if (prefix === undefined || k.startsWith(prefix)) yield e.value;
  }

  get size(): number {
    return this.cache.size;
  }

  /**
   * Folds in a version this process has just written itself, ahead of the watch, delivering the
   * change as the watch would have (the watch's copy is then dropped as not newer). A user that
   * acts on its cache again right after a write would otherwise act on what it replaced.
   */
  wrote(o: Resource): void {
    if (this.kinds.includes(o.kind)) this.apply(o, 'MODIFIED', false);
  }

  /**
   * Resolves once the cache reflects every change committed before the call. Only changes the
   * watch is given show progress: when none of the informer's kinds changes meanwhile, it
   * resolves after `timeoutMs` instead.
   */
  async caughtUp(timeoutMs = 1000): Promise<void> {
    const target = BigInt(await this.opts.store.currentResourceVersion());
    const reached = (): boolean => this.seen >= target && this.catchUpTo === undefined;
    if (reached()) return;
    await new Promise<void>((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.progress.delete(check);
        resolve();
      };
      const check = (): void => {
        if (reached()) finish();
      };
      const timer = setTimeout(finish, timeoutMs);
      this.progress.add(check);
    });
  }

  /**
   * Lists, then follows the store until `signal` aborts; rejects only when the handler throws.
   * Run again after an abort, it resumes the watch where it stopped, the cache intact.
   */
  async run(signal: AbortSignal): Promise<void> {
    const resync = this.opts.resyncMs ? setInterval(() => this.resync(), this.opts.resyncMs) : undefined;
    try {
      this.resumeFrom ??= this.opts.resourceVersion ?? (await this.relist(signal));
      if (this.catchUpTo === undefined) this.markSynced();
      while (!signal.aborted) {
        try {
          for await (const ev of this.opts.store.watch({ ...this.filter(), resourceVersion: this.resumeFrom, signal })) {
            this.resumeFrom = ev.object.metadata.resourceVersion;
            this.deliver(ev);
          }
          if (signal.aborted) break;
          // The store ended the watch (it is closing): try again shortly rather than spin.
          await this.pause(signal);
        } catch (e) {
          if (e instanceof HandlerFailure) throw e.original;
          if (signal.aborted) break;
          if (e instanceof GoneError) {
            this.resumeFrom = await this.relist(signal);
          } else {
            this.opts.log?.(`informer (${this.kinds.join(', ')}): watch failed: ${(e as Error).message}; resuming`);
            await this.pause(signal);
          }
        }
      }
    } catch (e) {
      if (e instanceof HandlerFailure) throw e.original;
      if (!signal.aborted) throw e;
    } finally {
      if (resync) clearInterval(resync);
      this.markSynced(); // nobody waits for a list that will not come
    }
  }

  /** One kind: the store filters by kind; several: one watch of everything. Labels are matched here. */
  private filter(): { kind?: string } {
    return this.kinds.length === 1 ? { kind: this.kinds[0] } : {};
  }

  private pause(signal: AbortSignal): Promise<void> {
    return delay(this.opts.retryMs ?? 500, undefined, { signal }).catch(() => undefined);
  }

  /**
   * Lists every source (again), brings the cache to what the lists say and delivers the
   * differences; returns the version to watch from. Retries while the store fails.
   */
  private async relist(signal: AbortSignal): Promise<string> {
    for (;;) {
      try {
        return await this.listOnce();
      } catch (e) {
        if (e instanceof HandlerFailure || signal.aborted) throw e;
        this.opts.log?.(`informer (${this.kinds.join(', ')}): list failed: ${(e as Error).message}; retrying`);
        await this.pause(signal);
        if (signal.aborted) throw e;
      }
    }
  }

  private async listOnce(): Promise<string> {
    const initial = this.listedAt.size === 0 && !this.partial;
    let from: bigint | undefined;
    let newest = 0n;
    const listed = new Map<string, { items: Resource[]; rv: bigint }>();
    for (const kind of this.kinds) {
      const selectors = this.opts.sources.filter((s) => s.kind === kind);
      // One list per kind; several selectors on one kind are matched here.
      const selector = selectors.length === 1 ? selectors[0]!.labelSelector : undefined;
      const { items, resourceVersion } = await this.opts.store.list(kind, selector ? { labelSelector: selector } : {});
      const rv = BigInt(resourceVersion);
      listed.set(kind, { items, rv });
      if (from === undefined || rv < from) from = rv;
      if (rv > newest) newest = rv;
    }
    // Every version a list reports is that of a committed change (the store's last one), and the
    // watch from the oldest list sees every kind's changes: it reaches the newest list's version.
    if (newest > from!) this.catchUpTo = this.catchUpTo !== undefined && this.catchUpTo > newest ? this.catchUpTo : newest;
    const present = new Set<string>();
    for (const [kind, { items, rv }] of listed) {
      this.listedAt.set(kind, rv);
      for (const o of items) {
        present.add(keyOf(kind, o.metadata.project, o.metadata.name));
        this.apply(o, 'ADDED', initial);
      }
    }
    for (const [k, e] of [...this.cache]) {
      if (!present.has(k)) this.remove(k, e);
    }
    this.partial = false;
    this.seen = from! > this.seen ? from! : this.seen;
    return from!.toString();
  }

  private deliver(ev: WatchEvent): void {
    const o = ev.object;
    const rv = BigInt(o.metadata.resourceVersion);
    if (rv > this.seen) this.seen = rv;
    if (this.kinds.includes(o.kind)) this.fold(ev, o, rv);
    if (this.catchUpTo !== undefined && this.seen >= this.catchUpTo) this.caughtUpToLists();
    for (const check of [...this.progress]) check();
  }

  /** The cache is of one version again: hands over what was held back, then says synced. */
  private caughtUpToLists(): void {
    this.catchUpTo = undefined;
    const held = this.held;
    this.held = [];
    for (const ev of held) this.handOver(ev);
    this.markSynced();
  }

  private fold(ev: WatchEvent, o: Resource, rv: bigint): void {
    if (rv <= (this.listedAt.get(o.kind) ?? 0n)) return; // in the list already
    if (ev.type === 'DELETED') {
      const k = keyOf(o.kind, o.metadata.project, o.metadata.name);
      const cached = this.cache.get(k);
      if (cached) {
        if (cached.rv < rv) this.remove(k, cached, o);
      } else if (this.partial) {
        const value = this.transform(o);
        if (value !== undefined) this.emit({ type: 'DELETED', object: o, value });
      }
      return;
    }
    this.apply(o, ev.type, false);
  }

  /** Folds one stored version of an object into the cache and delivers the change, if any. */
  private apply(o: Resource, type: 'ADDED' | 'MODIFIED', initial: boolean): void {
    const k = keyOf(o.kind, o.metadata.project, o.metadata.name);
    const rv = BigInt(o.metadata.resourceVersion);
    const cached = this.cache.get(k);
    if (cached && cached.rv >= rv) return;
    const value = this.matches(o) ? this.transform(o) : undefined;
    if (value === undefined) {
      if (cached) this.remove(k, cached, o);
      return;
    }
    this.cache.set(k, { rv, value, object: (value as unknown) === o ? o : metadataOnly(o) });
    const changed: InformerEventType = cached ? 'MODIFIED' : this.partial ? type : 'ADDED';
    this.emit({ type: changed, object: o, value, ...(cached ? { previous: cached.value } : {}), ...(initial ? { initial } : {}) });
  }

  private remove(k: string, e: Entry<T>, last?: Resource): void {
    this.cache.delete(k);
    this.emit({ type: 'DELETED', object: last ?? e.object, value: e.value, previous: e.value });
  }

  private resync(): void {
    for (const e of [...this.cache.values()]) this.emit({ type: 'SYNC', object: e.object, value: e.value, previous: e.value });
  }

  private matches(o: Resource): boolean {
    return this.selectors.some((s) => s.kind === o.kind && (s.reqs.length === 0 || matchesSelector(s.reqs, o.metadata.labels)));
  }

  private transform(o: Resource): T | undefined {
    return this.opts.transform ? this.opts.transform(o) : (o as T);
  }

  private emit(ev: InformerEvent<T>): void {
    if (this.catchUpTo !== undefined) this.held.push(ev);
    else this.handOver(ev);
  }

  private handOver(ev: InformerEvent<T>): void {
    try {
      this.opts.onEvent(ev);
    } catch (e) {
      throw new HandlerFailure(e);
    }
  }
}

function metadataOnly(o: Resource): Resource {
  return { apiVersion: o.apiVersion, kind: o.kind, metadata: o.metadata, spec: {} };
}
