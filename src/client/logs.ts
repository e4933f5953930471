// Reading replica logs (docs/api.md, "Logs"): one request for what is stored, or a stream that
// follows the replica until it ends.
import { kindNames, type WorkloadKind } from '../model/kind-names.js';
import { WeftApiError } from './errors.js';
import type { WeftClient } from './client.js';

/** Every workload kind has logs. */
export type LogWorkloadKind = WorkloadKind;

export interface LogQuery {
  kind: LogWorkloadKind;
  project: string;
  name: string;
  replica?: number;
  attempt?: number;
  /** The attempt before the newest one (after a restart). */
  previous?: boolean;
  tail?: number;
}

function logsPath(q: LogQuery): string {
  return `/api/v1/projects/${encodeURIComponent(q.project)}/${kindNames(q.kind).plural}/${encodeURIComponent(q.name)}/logs`;
}

function query(q: LogQuery, follow: boolean): Record<string, string | undefined> {
  return {
    replica: q.replica?.toString(),
    attempt: q.attempt?.toString(),
    previous: q.previous ? 'true' : undefined,
    tail: q.tail?.toString(),
    follow: follow ? 'true' : undefined,
  };
}

export async function readLogs(client: WeftClient, q: LogQuery): Promise<string> {
  return (await readLogsOf(client, q)).text;
}

/** The stored text, and the Allocation (the replica's attempt) it came from. */
export async function readLogsOf(client: WeftClient, q: LogQuery): Promise<{ text: string; allocation?: string }> {
  const res = await client.fetch('GET', logsPath(q), { query: query(q, false), accept: 'text/plain' });
  if (!res.ok) throw await WeftApiError.fromResponse(res, 'GET', logsPath(q));
  const allocation = res.headers.get('x-weft-allocation') ?? undefined;
  return { text: await res.text(), ...(allocation ? { allocation } : {}) };
}

/** Yields text as the replica writes it; ends when the replica ends or `signal` aborts. */
export async function* followLogs(client: WeftClient, q: LogQuery, signal?: AbortSignal): AsyncGenerator<string> {
  const res = await client.fetch('GET', logsPath(q), { query: query(q, true), accept: 'text/plain', ...(signal ? { signal } : {}) });
  if (!res.ok) throw await WeftApiError.fromResponse(res, 'GET', logsPath(q));
  if (!res.body) return;
  const decoder = new TextDecoder();
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) yield decoder.decode(chunk, { stream: true });
  } catch (err) {
    if (signal?.aborted) return;
    throw err;
  }
  const rest = decoder.decode();
  if (rest) yield rest;
}
