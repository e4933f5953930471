// `weft mcp`: an MCP server on stdin/stdout for an agent runtime that starts it as a command.
// It uses the CLI's context (server, token), so the agent acts with exactly that token's rights.
import { Command } from 'commander';
import { WeftClient } from '../../client/index.js';
import { effectiveContext } from '../connect.js';
import { VERSION } from '../version.js';

export function mcpCommand(): Command {
  return new Command('mcp')
    .description("serve MCP (Model Context Protocol) on stdin/stdout for an AI agent, with the current context's token and rights")
    .option('--read-only', 'offer only tools that change nothing')
    .action(async (opts: { readOnly?: boolean }, self: Command) => {
      const context = effectiveContext(self);
      // stdout carries only protocol messages: warnings go to stderr, which runtimes keep as a log.
      const client = new WeftClient({ server: context.server, token: context.token, userAgent: `weft-mcp/${VERSION}`, onWarning: (m) => console.error(`Warning: ${m}`) });
      const { serveStdio } = await import('../../mcp/stdio.js');
      await serveStdio({ client, readOnly: opts.readOnly === true }, VERSION);
    });
}
