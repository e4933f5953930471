// MCP over Streamable HTTP, mounted by the API at /mcp. Stateless: each POST gets a fresh server
// bound to the caller's bearer token (the API authenticated it before this runs), whose tools
// call this same server's API with that token, so RBAC and audit are the API's own.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { WeftClient } from '../client/index.js';
import { createMcpServer } from './server.js';

/** One POST as the API hands it over (api/routes/mcp.ts declares the same shape on its side of the layer line). */
export type McpHttpCall = { req: IncomingMessage; res: ServerResponse; body: unknown; token: string; apiUrl: string; version: string };

export interface McpHttpOptions {
  /** Only tools that change nothing. */
  readOnly: boolean;
}

export function mcpHttpHandler(opts: McpHttpOptions): (call: McpHttpCall) => Promise<void> {
  return async ({ req, res, body, token, apiUrl, version }) => {
    const client = new WeftClient({ server: apiUrl, token, userAgent: `weft-mcp/${version}` });
    const server = createMcpServer({ client, readOnly: opts.readOnly }, version);
    // One JSON answer per POST: nothing is streamed, so no stream outlives the request.
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  };
}
