// The MCP server against a real `weft up --demo`, with the SDK's client over both transports:
// Streamable HTTP at /mcp and stdio (`weft mcp`). Every tool runs as the caller's token.
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WeftClient, explainWorkload } from '../../src/client/index.js';
import { ROOT, assertBuilt, interrupt, sandbox, weftUp, type Sandbox, type UpServer } from '../cli/helpers.js';
import { call, connectAs, textOf, tokenFor, type Transport } from './helpers.js';

const TOUR = join(ROOT, 'examples', 'tour');

const job = (name: string, opts: { replicas?: number; duration?: string } = {}): string => `apiVersion: weft/v1
kind: Job
metadata: { name: ${name}, project: vision, annotations: { weft.dev/sim-duration: ${opts.duration ?? '10m'} } }
spec:
  replicas: ${opts.replicas ?? 1}
  resources: { cpu: "8", memory: 64Gi, gpu: { count: 8, models: [H100-80GB] } }
  placement: { sites: [eu-fra-1] }
`;

const READ_TOOLS = ['list_resources', 'get_resource', 'describe_resource', 'list_events', 'why_pending', 'what_if', 'read_logs', 'fleet_summary', 'free_capacity', 'usage_report', 'invoice'];

describe('MCP against weft up --demo', () => {
  let box: Sandbox;
  let up: UpServer;
  let admin: string;
  const tokens: Record<string, string> = {};
  const clients: Client[] = [];

  async function open(transport: Transport, token: string, stdioArgs: string[] = []): Promise<Client> {
    const c = await connectAs(transport, box, up.url, token, stdioArgs);
    clients.push(c);
    return c;
  }

  beforeAll(async () => {
    assertBuilt();
    box = sandbox();
    up = await weftUp(box, '.weft', ['--demo']);
    admin = up.token!;
    for (const f of ['30-priority-classes.yaml', '40-projects.yaml', '50-queues.yaml', '60-users.yaml']) {
      const res = await box.weft(['apply', '-f', join(TOUR, f)]);
      expect(res.code, res.stderr).toBe(0);
    }
    // finance: viewer of every project; bob: member of vision, viewer of nlp; carol: member of nlp.
    for (const user of ['finance', 'bob', 'carol']) tokens[user] = await tokenFor(box, user);
  }, 120_000);

  afterAll(async () => {
    for (const c of clients) await c.close().catch(() => undefined);
    if (up) await interrupt(up.child);
    box?.cleanup();
  });

  describe.each<Transport>(['http', 'stdio'])('over %s', (transport) => {
    it('lists typed tools, each reading one annotated as read-only', async () => {
      const c = await open(transport, admin);
      const { tools } = await c.listTools();
      const names = tools.map((t) => t.name);
      for (const name of READ_TOOLS) expect(names).toContain(name);
      for (const t of tools.filter((x) => READ_TOOLS.includes(x.name))) {
        expect(t.inputSchema.type, t.name).toBe('object');
        expect(t.outputSchema?.type, t.name).toBe('object');
        expect(t.annotations?.readOnlyHint, t.name).toBe(true);
        expect(t.description, t.name).toBeTruthy();
      }
      // Kinds come from the registry: every kind is offered, none typed here.
      const list = tools.find((t) => t.name === 'list_resources')!;
      const kinds = (list.inputSchema.properties as Record<string, { enum?: string[] }>).kind!.enum!;
      expect(kinds).toEqual(expect.arrayContaining(['Job', 'Service', 'DevEnvironment', 'Node', 'Project', 'Policy']));
    });

    it('pages a long list instead of returning all of it', async () => {
      const c = await open(transport, admin);
      const first = await call(c, 'list_resources', { kind: 'Node' });
      expect(first.isError, textOf(first)).toBeFalsy();
      const page1 = first.structuredContent as { items: { name: string }[]; continue?: string };
      expect(page1.items).toHaveLength(20);
      expect(page1.continue).toBeTruthy();
      expect(textOf(first)).toContain(`continue="${page1.continue!}"`);
      const second = (await call(c, 'list_resources', { kind: 'Node', continue: page1.continue })).structuredContent as typeof page1;
      expect(second.items).toHaveLength(20);
      expect(second.continue).toBeUndefined();
      expect(new Set([...page1.items, ...second.items].map((n) => n.name)).size).toBe(40);
      // A page is at most 100 objects: asking for more is refused by the schema, naming the field.
      const huge = await call(c, 'list_resources', { kind: 'Node', limit: 10_000 });
      expect(huge.isError).toBe(true);
      expect(textOf(huge)).toMatch(/limit/);
    });

    it("runs as the token's principal: another project's objects are refused with the API's message", async () => {
      const carol = await open(transport, tokens.carol!);
      const refused = await call(carol, 'list_resources', { kind: 'Job', project: 'vision' });
      expect(refused.isError).toBe(true);
      expect(textOf(refused)).toMatch(/Forbidden, HTTP 403/);
      const fine = await call(carol, 'list_resources', { kind: 'Job', project: 'nlp' });
      expect(fine.isError, textOf(fine)).toBeFalsy();
    });

    it('answers the fleet summary and free capacity from the server', async () => {
      const c = await open(transport, tokens.finance!);
      const summary = await call(c, 'fleet_summary');
      expect(summary.isError, textOf(summary)).toBeFalsy();
      expect(textOf(summary)).toMatch(/of 320 GPUs allocated/);
      const free = await call(c, 'free_capacity', { model: 'A100-80GB' });
      const rows = (free.structuredContent as { rows: { model: string; site: string; total: number }[] }).rows;
      expect(rows.map((r) => [r.model, r.site, r.total])).toEqual([['A100-80GB', 'eu-par-1', 64]]);
    });
  });

  it('refuses a request to /mcp without a token (401), before any tool runs', async () => {
    const res = await fetch(`${up.url}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }) });
    expect(res.status).toBe(401);
  });

  it('explains a pending workload exactly as `weft explain` does', async () => {
    // eu-fra-1 has 20 nodes of 8 H100s: the filler takes all of them for 10 minutes.
    expect((await box.weft(['apply', '-f', '-'], { input: job('filler', { replicas: 20 }) })).code).toBe(0);
    expect((await box.weft(['apply', '-f', '-'], { input: job('waiting', { duration: '1m' }) })).code).toBe(0);
    const api = new WeftClient({ server: up.url, token: admin });
    await expect.poll(async () => (await api.get('Job', 'filler', { project: 'vision' })).status?.phase, { timeout: 20_000 }).toBe('Running');
    await expect.poll(async () => ((await api.get('Job', 'waiting', { project: 'vision' })).status?.scheduling as { explanation?: string } | undefined)?.explanation, { timeout: 20_000 }).toBeTruthy();

    for (const transport of ['http', 'stdio'] as const) {
      const c = await open(transport, tokens.bob!);
      const res = await call(c, 'why_pending', { kind: 'Job', name: 'waiting', project: 'vision' });
      expect(res.isError, textOf(res)).toBeFalsy();
      const answer = res.structuredContent as { outcome: string; placements: { replica: number; node: string }[]; scheduling?: { explanation?: string }; waitsFor?: { named: { name: string }[] }; evaluatedAt: string; startsAt?: string };
      // The server's own answer, as `weft explain` asks for it.
      const direct = await explainWorkload(api, 'Job', 'vision', 'waiting');
      const timeless = <T extends { evaluatedAt: string; startsAt?: string }>(a: T): Omit<T, 'evaluatedAt' | 'startsAt'> => {
        const { evaluatedAt: _e, startsAt: _s, ...rest } = a;
        return rest;
      };
      expect(timeless(answer)).toEqual(timeless(direct as unknown as typeof answer));
      expect(answer.outcome).toBe('later');
      expect(answer.waitsFor?.named.map((w) => w.name)).toEqual(['filler']);

      const cli = await box.weft(['explain', 'waiting', '-p', 'vision']);
      expect(cli.code, cli.stderr).toBe(0);
      expect(cli.stdout).toContain(`Now: ${answer.scheduling!.explanation!}.`);
      expect(textOf(res)).toContain(`Now: ${answer.scheduling!.explanation!}.`);
      for (const p of answer.placements) expect(cli.stdout).toContain(`replica ${p.replica} → ${p.node}`);
      expect(cli.stdout).toContain('Waiting for: job/filler to finish.');
    }
  });
});
