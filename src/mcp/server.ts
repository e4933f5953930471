// One MCP server for one caller: every tool, resource and prompt works through a client holding
// the caller's token, so an agent can do exactly what that token could do over HTTP, and each of
// its calls is an ordinary API request, authorized and audited as one.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { McpContext, Register } from './context.js';
import { registerPrompts } from './prompts.js';
import { registerResources } from './resources.js';
import { registerFleetTools } from './tools/fleet.js';
import { registerObjectTools } from './tools/objects.js';
import { registerWorkloadTools } from './tools/workloads.js';
import { registerWriteTools } from './tools/write.js';

export type { McpContext } from './context.js';

/** Tools that change nothing: offered always. */
const READING: readonly Register[] = [registerObjectTools, registerWorkloadTools, registerFleetTools];
/** Tools that change something: left out with --read-only. */
const WRITING: readonly Register[] = [registerWriteTools];

const INSTRUCTIONS = `Weft is a control plane for GPU fleets: sites, nodes and GPUs; projects with quotas; workloads (jobs, services, dev environments) placed by one scheduler; metered usage and invoices.
Every call runs with the caller's token and its roles: a refusal (403) means the token may not do it.
Lists are paged: pass "continue" for the next page. Tools that destroy work (delete, drain, an apply that preempts) need confirm: true.`;

export function createMcpServer(ctx: McpContext, version = '0.0.0'): McpServer {
  const server = new McpServer({ name: 'weft', version }, { instructions: INSTRUCTIONS });
  for (const register of READING) register(server, ctx);
  if (!ctx.readOnly) for (const register of WRITING) register(server, ctx);
  registerResources(server, ctx);
  registerPrompts(server, ctx);
  return server;
}
