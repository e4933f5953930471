// `weft mcp`: MCP over this process's stdin and stdout, for an agent runtime that starts it.
// Nothing else may write to stdout: it carries only the protocol's messages.
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createMcpServer, type McpContext } from './server.js';

/** Serves until the client closes stdin. */
export async function serveStdio(ctx: McpContext, version?: string): Promise<void> {
  const server = createMcpServer(ctx, version);
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    server.server.onclose = resolve;
  });
  await server.connect(transport);
  process.stdin.once('end', () => void server.close());
  await closed;
}
