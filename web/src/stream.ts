// The tab's one live stream. Every watched collection and the fleet summary ride on a single
// GET /api/v1/stream, so however many pages a user opens, live data holds one of the browser's
// six connections per server and ordinary requests never wait for one. When the set of watches
// grows, the stream is opened again with the new set, each watch resuming from the last version
// it saw, so no change is missed or repeated; watches that are dropped stay on the stream until
// the next reopen (or a tidy-up a little later).
import { openStream, WeftApiError, type FleetSummary, type StreamWatchSpec, type WeftClient } from '../../src/client/index.js';
import { backoff } from '../../src/client/watch.js';
import { sleep } from '../../src/model/abort.js';
import type { Resource } from '../../src/model/metadata.js';

export type WatchTarget = Omit<StreamWatchSpec, 'id' | 'resourceVersion'>;

export interface WatchHandlers {
  onChange(type: 'ADDED' | 'MODIFIED' | 'DELETED', object: Resource): void;
  /** The watch has ended (403, 410: relist and watch again, …); it is no longer on the stream. */
  onError(error: WeftApiError): void;
}

interface Watch extends WatchHandlers {
  target: WatchTarget;
  resourceVersion: string;
}

export interface SummaryHandlers {
  onSummary(s: FleetSummary): void;
  onError(error: WeftApiError): void;
}

/** A newly added watch waits this long for others (a page adds several at once) before the stream reopens. */
const GATHER_MS = 30;
/** Watches nobody wants any more are dropped from the stream at the latest this long after. */
const TIDY_MS = 30_000;

export class TabStream {
  private readonly watches = new Map<string, Watch>();
  private readonly summaries = new Set<SummaryHandlers>();
  private nextId = 0;
  private running: AbortController | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAt = Infinity;
  private closed = false;

  constructor(private readonly client: WeftClient) {}

  /** Follows `target` from `resourceVersion` on; returns the watch's id for remove(). */
  add(target: WatchTarget, resourceVersion: string, handlers: WatchHandlers): string {
    const id = `w${++this.nextId}`;
    this.watches.set(id, { target, resourceVersion, ...handlers });
    this.reopenIn(GATHER_MS);
    return id;
  }

  remove(id: string): void {
    if (!this.watches.delete(id)) return;
    // Nothing left to follow: close at once rather than keep a connection for nobody.
    if (this.watches.size === 0 && this.summaries.size === 0) this.reopenIn(0);
    else this.reopenIn(TIDY_MS);
  }

  /** Receives the fleet summary (the current one at once, then each change) until the returned function is called. */
  followSummary(handlers: SummaryHandlers): () => void {
    const first = this.summaries.size === 0;
    this.summaries.add(handlers);
    if (first) this.reopenIn(GATHER_MS);
    return () => {
      this.summaries.delete(handlers);
      if (this.summaries.size === 0) this.reopenIn(this.watches.size === 0 ? 0 : TIDY_MS);
    };
  }

  /** Ends the stream for good (sign-out). */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.running?.abort();
    this.watches.clear();
    this.summaries.clear();
  }

  private reopenIn(ms: number): void {
    if (this.closed) return;
    const at = Date.now() + ms;
    if (this.timer && this.timerAt <= at) return; // an earlier reopen is already due
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.reopen();
    }, ms);
  }

  private reopen(): void {
    this.running?.abort();
    this.running = undefined;
    if (this.closed || (this.watches.size === 0 && this.summaries.size === 0)) return;
    const ac = new AbortController();
    this.running = ac;
    void this.run(ac.signal);
  }

  /** Keeps one stream open with the current set, reconnecting (with back-off) when it drops. */
  private async run(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      const ids = [...this.watches.keys()];
      const watches: StreamWatchSpec[] = ids.map((id) => {
        const w = this.watches.get(id)!;
        return { id, ...w.target, resourceVersion: w.resourceVersion };
      });
      const summary = this.summaries.size > 0;
      if (watches.length === 0 && !summary) return;
      try {
        for await (const frame of openStream(this.client, { watches, summary }, signal)) {
          failures = 0;
          if (frame.type === 'SUMMARY') {
            for (const s of this.summaries) s.onSummary(frame.summary);
          } else if (!('watch' in frame)) {
            for (const s of [...this.summaries]) s.onError(frame.error);
          } else {
            const w = this.watches.get(frame.watch);
            if (!w) continue; // removed since this stream opened
            if (frame.type === 'ERROR') {
              this.watches.delete(frame.watch);
              w.onError(frame.error);
            } else {
              w.resourceVersion = frame.object.metadata.resourceVersion ?? w.resourceVersion;
              w.onChange(frame.type, frame.object);
            }
          }
        }
      } catch (err) {
        if (signal.aborted) return;
        // The whole request was refused (a token that expired, a server without the stream):
        // every watch and the summary learn it; nothing is retried.
        if (err instanceof WeftApiError && err.status < 500) {
          const error = err;
          for (const [id, w] of [...this.watches]) {
            this.watches.delete(id);
            w.onError(error);
          }
          for (const s of [...this.summaries]) s.onError(error);
          return;
        }
      }
      if (signal.aborted) return;
      // The connection dropped (a server restart, a proxy): open it again, resuming every watch.
      await sleep(backoff(++failures, 5000), signal);
    }
  }
}

let current: { client: WeftClient; stream: TabStream } | undefined;

/** The stream of the signed-in client; a new client (another sign-in) gets a new one. */
export function tabStream(client: WeftClient): TabStream {
  if (current?.client !== client) {
    current?.stream.close();
    current = { client, stream: new TabStream(client) };
  }
  return current.stream;
}

/** Ends the tab's stream (sign-out). */
export function closeTabStream(): void {
  current?.stream.close();
  current = undefined;
}
