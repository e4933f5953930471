// The fleet summary from the client's side: one answer, or a live stream of them. The stream
// starts with the current summary and then sends a new one whenever the figures may have moved;
// each summary is complete, so after a dropped connection the client simply reconnects.
import type { EventSourceMessage } from 'eventsource-parser';
import type { FleetSummary } from '../model/summary.js';
import type { WeftClient } from './client.js';
import { WeftApiError, type ProblemDetails } from './errors.js';
import { sleep } from '../model/abort.js';
import { backoff, sseMessages } from './watch.js';

export type { FleetSummary, SummaryGpus, SummaryHeld, SummaryNodes, SummaryWorkloads } from '../model/summary.js';

const PATH = '/api/v1/summary';

export function getSummary(client: WeftClient): Promise<FleetSummary> {
  return client.request<FleetSummary>('GET', PATH);
}

export interface SummaryWatchOptions {
  signal?: AbortSignal;
  /** Upper bound of the reconnect back-off in ms (default 5000). */
  maxBackoffMs?: number;
}

/**
 * Summaries as they change, until `signal` aborts. Dropped streams and server errors (5xx) are
 * retried with back-off; a refusal (401, 403…) ends the iteration with a WeftApiError.
 */
export async function* watchSummary(client: WeftClient, opts: SummaryWatchOptions = {}): AsyncGenerator<FleetSummary> {
  const signal = opts.signal ?? new AbortController().signal;
  const maxBackoff = opts.maxBackoffMs ?? 5000;
  let failures = 0;
  while (!signal.aborted) {
    let res: Response;
    try {
      res = await client.fetch('GET', PATH, { query: { watch: 'true' }, accept: 'text/event-stream', signal });
    } catch (err) {
      if (signal.aborted) return;
      await sleep(backoff(++failures, maxBackoff), signal);
      continue;
    }
    if (!res.ok || !res.body) {
      const err = await WeftApiError.fromResponse(res, 'GET', PATH);
      if (res.status < 500 && res.status !== 429) throw err;
      await sleep(backoff(++failures, maxBackoff), signal);
      continue;
    }
    try {
      for await (const s of readSummaries(res.body, signal)) {
        failures = 0;
        yield s;
      }
    } catch (err) {
      if (signal.aborted) return;
      if (err instanceof WeftApiError && err.status < 500) throw err;
    }
    if (signal.aborted) return;
    await sleep(backoff(++failures, maxBackoff), signal);
  }
}

async function* readSummaries(body: ReadableStream<Uint8Array>, signal: AbortSignal): AsyncGenerator<FleetSummary> {
  for await (const m of sseMessages(body, signal)) {
    const s = decode(m);
    if (s) yield s;
  }
}

function decode(m: EventSourceMessage): FleetSummary | undefined {
  let data: { type?: unknown; object?: unknown };
  try {
    data = JSON.parse(m.data) as typeof data;
  } catch {
    return undefined;
  }
  if (data.type === 'ERROR') {
    const problem = (data.object ?? {}) as ProblemDetails;
    throw new WeftApiError(typeof problem.status === 'number' ? problem.status : 500, problem);
  }
  return data.type === 'SUMMARY' && typeof data.object === 'object' && data.object !== null ? (data.object as FleetSummary) : undefined;
}
