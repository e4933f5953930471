// What a tool hands back: a short text summary for the model to read, the same facts as
// structured content for programs, and errors as tool errors carrying the API's own message
// (status, code, the fields it names), never as protocol failures.
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { MissingProjectError, UnknownKindError, WeftApiError, WeftConnectionError } from '../client/index.js';

/** A successful result: `summary` is what a model reads first; `data` is the structured content. */
export function ok(summary: string, data: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text: summary }], structuredContent: data };
}

/** A refusal the tool decides itself (a missing confirmation, a kind that has no logs). */
export class ToolRefusal extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ToolRefusal';
  }
}

/** Any failure as a tool error: the API's status, code and field messages, word for word. */
export function toolError(err: unknown): CallToolResult {
  if (err instanceof WeftApiError) {
    const fields = err.issues.map((i) => `  ${i.field}: ${i.message}`);
    const text = [`${err.detail} (${err.code}, HTTP ${err.status})`, ...fields].join('\n');
    return { content: [{ type: 'text', text }], isError: true };
  }
  const known = err instanceof ToolRefusal || err instanceof UnknownKindError || err instanceof MissingProjectError || err instanceof WeftConnectionError;
  const text = known ? (err as Error).message : `unexpected error: ${err instanceof Error ? err.message : String(err)}`;
  return { content: [{ type: 'text', text }], isError: true };
}

/** Runs a tool's body, turning every failure into a tool error. */
export async function guarded(body: () => Promise<CallToolResult>): Promise<CallToolResult> {
  try {
    return await body();
  } catch (err) {
    return toolError(err);
  }
}

/** Bounds on what one call may pull into an agent's context. */
export const LIMITS = {
  /** Objects per page of a list (default and most). */
  listDefault: 20,
  listMax: 100,
  /** Events per call. */
  eventsMax: 50,
  /** Log lines per call, and bytes of log text. */
  logLinesDefault: 100,
  logLinesMax: 1000,
  logBytesMax: 64 * 1024,
};

/** "a, b, c and 4 more" */
export function someNames(names: readonly string[], shown = 10): string {
  if (names.length === 0) return 'none';
  const head = names.slice(0, shown).join(', ');
  return names.length > shown ? `${head} and ${names.length - shown} more` : head;
}
