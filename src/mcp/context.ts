// What every tool, resource and prompt is given: the client that carries the caller's token
// (every call is the caller's own API request: the same RBAC, the same audit), and whether
// mutating tools are offered at all.
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { WeftClient } from '../client/index.js';

export interface McpContext {
  client: WeftClient;
  /** Only tools that change nothing are registered. */
  readOnly: boolean;
}

export type Register = (server: McpServer, ctx: McpContext) => void;

/** Annotations of a tool that only reads. */
export const READ_ONLY = { readOnlyHint: true, openWorldHint: false } as const;
/** A tool that changes something but never destroys (idempotent when asked twice). */
export const MUTATING = { readOnlyHint: false, destructiveHint: false, openWorldHint: false } as const;
/** A tool that may destroy work: it asks for `confirm: true`. */
export const DESTRUCTIVE = { readOnlyHint: false, destructiveHint: true, openWorldHint: false } as const;
