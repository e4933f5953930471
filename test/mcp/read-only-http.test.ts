// `weft up --mcp-read-only`: /mcp offers only the reading tools, whoever asks (an admin too),
// while the API itself still lets the same token write.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadServerConfig } from '../../src/server/config.js';
import { startWeftServer, type RunningWeft } from '../../src/server/start.js';
import { call, mcpOverHttp, textOf } from './helpers.js';

describe('/mcp on a server started with --mcp-read-only', () => {
  let server: RunningWeft;
  beforeAll(async () => {
    server = await startWeftServer(loadServerConfig({ command: 'up', env: {}, flags: { port: '0', dataDir: 'memory://', logLevel: 'silent', mcpReadOnly: true } }));
  });
  afterAll(async () => server?.stop());

  it('lists no tool that changes anything, and a writing tool is not there to call', async () => {
    const c = await mcpOverHttp(server.url, server.bootstrapToken!);
    try {
      const { tools } = await c.listTools();
      expect(tools.length).toBeGreaterThan(5);
      for (const t of tools) expect(t.annotations?.readOnlyHint, t.name).toBe(true);
      expect(tools.map((t) => t.name)).not.toContain('apply');
      const res = await call(c, 'delete_resource', { kind: 'Project', name: 'weft-system', confirm: true });
      expect(res.isError).toBe(true);
      expect(textOf(res)).toMatch(/not found/);
    } finally {
      await c.close();
    }
  });
});
