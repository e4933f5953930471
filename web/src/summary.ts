// The fleet summary, live: carried on the tab's one stream (stream.ts), shared by every
// component that shows it, and kept while the console is open (it is a few kilobytes a second at
// most) so coming back to the overview shows current figures at once.
import { useSyncExternalStore } from 'react';
import type { FleetSummary, WeftClient } from '../../src/client/index.js';
import { tabStream } from './stream.js';

export interface SummaryState {
  summary?: FleetSummary;
  error?: string;
}

class LiveSummary {
  private state: SummaryState = {};
  private readonly listeners = new Set<() => void>();
  private stop: (() => void) | undefined;

  constructor(private readonly client: WeftClient) {}

  private set(s: SummaryState): void {
    this.state = s;
    for (const l of this.listeners) l();
  }

  subscribe = (cb: () => void): (() => void) => {
    this.listeners.add(cb);
    this.stop ??= tabStream(this.client).followSummary({
      onSummary: (summary) => this.set({ summary }),
      onError: (err) => this.set({ ...this.state, error: err.message }),
    });
    return () => this.listeners.delete(cb);
  };

  snapshot = (): SummaryState => this.state;

  close(): void {
    this.stop?.();
    this.stop = undefined;
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

/** Starts following the summary before any page asks (sign-in), so the overview's figures are on their way. */
export function prefetchSummary(client: WeftClient): void {
  liveSummary(client).subscribe(() => undefined);
}

/** Stops following the summary (sign-out). */
export function closeSummary(): void {
  current?.live.close();
  current = undefined;
}
