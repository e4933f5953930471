// MCP clients for the tests: the SDK's own client over Streamable HTTP (the server's /mcp) and
// over stdio (`weft mcp` started as an agent runtime starts it).
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { ROOT, type Sandbox } from '../cli/helpers.js';

export type Transport = 'http' | 'stdio';

export async function mcpOverHttp(url: string, token: string): Promise<Client> {
  const client = new Client({ name: 'weft-test', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  return client;
}

/** `weft mcp ARGS` with WEFT_SERVER and WEFT_TOKEN naming the server and the caller. */
export async function mcpOverStdio(box: Sandbox, url: string, token: string, args: string[] = []): Promise<Client> {
  const client = new Client({ name: 'weft-test', version: '1' });
  const env = Object.fromEntries(Object.entries({ ...box.env, WEFT_SERVER: url, WEFT_TOKEN: token }).filter((e): e is [string, string] => e[1] !== undefined));
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [join(ROOT, 'bin', 'weft.js'), 'mcp', ...args], env, cwd: box.dir, stderr: 'pipe' }));
  return client;
}

export function connectAs(transport: Transport, box: Sandbox, url: string, token: string, stdioArgs: string[] = []): Promise<Client> {
  return transport === 'http' ? mcpOverHttp(url, token) : mcpOverStdio(box, url, token, stdioArgs);
}

export async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}

export function textOf(r: CallToolResult): string {
  return r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
}

/** A token for `user`, made by the admin through the CLI. */
export async function tokenFor(box: Sandbox, user: string): Promise<string> {
  const res = await box.weft(['token', 'create', '--user', user]);
  const token = /^(weft_\S+)$/m.exec(res.stdout)?.[1];
  if (res.code !== 0 || !token) throw new Error(`no token for ${user}: ${res.stderr}${res.stdout}`);
  return token;
}
