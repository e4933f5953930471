// The fleet summary, live: one stream per signed-in client, shared by every component that shows
// it, kept open while the console is (it is a few kilobytes a second at most) so coming back to
// the overview shows current figures at once.
import { useSyncExternalStore } from 'react';
import { watchSummary, type FleetSummary, type WeftClient } from '../../src/client/index.js';

export interface SummaryState {
  summary?: FleetSummary;
  error?: string;
}

class LiveSummary {
  private state: SummaryState = {};
  private readonly listeners = new Set<() => void>();
  private readonly abort = new AbortController();
  private started = false;

  constructor(private readonly client: WeftClient) {}

  private async run(): Promise<void> {
    try {
      for await (const summary of watchSummary(this.client, { signal: this.abort.signal })) this.set({ summary });
    } catch (err) {
      if (!this.abort.signal.aborted) this.set({ ...this.state, error: err instanceof Error ? err.message : String(err) });
    }
  }

  private set(s: SummaryState): void {
    this.state = s;
    for (const l of this.listeners) l();
  }

  subscribe = (cb: () => void): (() => void) => {
    this.listeners.add(cb);
    if (!this.started) {
      this.started = true;
      void this.run();
    }
    return () => this.listeners.delete(cb);
  };

  snapshot = (): SummaryState => this.state;

  close(): void {
    this.abort.abort();
  }
}

let current: { client: WeftClient; live: LiveSummary } | undefined;

function liveSummary(client: WeftClient): LiveSummary {
  if (current?.client !== client) {
    current?.live.close();
    current = { client, live: new LiveSummary(client) };
  }
  return current.live;
}

/** The current fleet summary for the signed-in user, updated as it changes. */
export function useSummary(client: WeftClient): SummaryState {
  const live = liveSummary(client);
  return useSyncExternalStore(live.subscribe, live.snapshot);
}

/** Starts the stream before any page asks (sign-in), so the overview's figures are on their way. */
export function prefetchSummary(client: WeftClient): void {
  liveSummary(client).subscribe(() => undefined);
}

/** Ends the stream (sign-out). */
export function closeSummary(): void {
  current?.live.close();
  current = undefined;
}
