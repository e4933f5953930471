// /mcp: the MCP server's Streamable HTTP endpoint. The API authenticates the bearer token like on
// any route (401 before anything runs); the handler, assembled by src/server from src/mcp, runs
// each tool as the caller through this server's own API, so authorization and audit happen there,
// once, exactly as for any other client.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { bearerToken } from '../auth.js';
import { problem, sendProblem } from '../problem.js';

export const MCP_PATH = '/mcp';

export interface McpCall {
  req: IncomingMessage;
  res: ServerResponse;
  body: unknown;
  token: string;
  apiUrl: string;
  /** This server's release. */
  version: string;
}

export type McpHandler = (call: McpCall) => Promise<void>;

export function registerMcpRoutes(app: FastifyInstance, handler: McpHandler, version: string): void {
  app.post(MCP_PATH, async (req, reply) => {
    const token = bearerToken(req.headers.authorization);
    reply.raw.setHeader('x-request-id', String(req.id));
    reply.hijack();
    try {
      await handler({ req: req.raw, res: reply.raw, body: req.body, token, apiUrl: ownUrl(app), version });
    } catch (err) {
      req.log.error({ err }, 'mcp: request failed');
      if (!reply.raw.headersSent) reply.raw.writeHead(500, { 'content-type': 'application/json' });
      reply.raw.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32603, message: 'internal error' }, id: null }));
    }
  });
  // Stateless: no session to stream to (GET) or to end (DELETE).
  app.route({
    method: ['GET', 'DELETE'],
    url: MCP_PATH,
    handler: async (_req, reply) => sendProblem(reply.header('allow', 'POST'), problem(405, 'MethodNotAllowed', 'this MCP endpoint is stateless: send each message with POST')),
  });
}

/** This server's API as a client on this machine reaches it. */
function ownUrl(app: FastifyInstance): string {
  const addr = app.server.address();
  if (!addr || typeof addr === 'string') throw new Error('the API is not listening on a TCP port');
  const host = addr.address === '0.0.0.0' ? '127.0.0.1' : addr.address === '::' ? '::1' : addr.address;
  return `http://${host.includes(':') ? `[${host}]` : host}:${addr.port}`;
}
