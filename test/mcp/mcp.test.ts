// The MCP server against a real `weft up --demo`, with the SDK's client over both transports:
// Streamable HTTP at /mcp and stdio (`weft mcp`). Every tool runs as the caller's token.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WeftClient, explainWorkload } from '../../src/client/index.js';
import { ROOT, assertBuilt, interrupt, sandbox, weftUp, type Sandbox, type UpServer } from '../cli/helpers.js';
import { call, connectAs, textOf, tokenFor, type Transport } from './helpers.js';

const TOUR = join(ROOT, 'examples', 'tour');

const job = (name: string, opts: { replicas?: number; duration?: string; bestEffort?: boolean } = {}): string => `apiVersion: weft/v1
kind: Job
metadata: { name: ${name}, project: vision, annotations: { weft.dev/sim-duration: ${opts.duration ?? '10m'} } }
spec:
  replicas: ${opts.replicas ?? 1}
  resources: { cpu: "8", memory: 64Gi, gpu: { count: 8, models: [H100-80GB] } }
  placement: { sites: [eu-fra-1] }${opts.bestEffort ? '\n  priorityClass: best-effort' : ''}
`;

const WRITE_TOOLS = ['apply', 'delete_resource', 'suspend_workload', 'resume_workload', 'cordon_node', 'uncordon_node', 'drain_node'];
const DESTRUCTIVE_TOOLS = ['apply', 'delete_resource', 'drain_node'];
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
      // Tools that change things say so; those that may destroy work carry the hint and ask for confirm.
      for (const name of WRITE_TOOLS) {
        const t = tools.find((x) => x.name === name)!;
        expect(t, name).toBeDefined();
        expect(t.annotations?.readOnlyHint, name).toBe(false);
        expect(t.annotations?.destructiveHint, name).toBe(DESTRUCTIVE_TOOLS.includes(name));
      }
      for (const name of ['delete_resource', 'drain_node', 'apply']) {
        expect(Object.keys(tools.find((x) => x.name === name)!.inputSchema.properties ?? {}), name).toContain('confirm');
      }
    });

    it('offers resources (the fleet summary, each readable project\'s quota) and prompts', async () => {
      const c = await open(transport, tokens.bob!);
      const { resources } = await c.listResources();
      expect(resources.map((r) => r.uri).sort()).toEqual(['weft://fleet/summary', 'weft://projects/nlp/quota', 'weft://projects/vision/quota']);
      const quota = JSON.parse(((await c.readResource({ uri: 'weft://projects/vision/quota' })).contents[0] as { text: string }).text) as { quota: { gpu: Record<string, number> } };
      expect(quota.quota.gpu).toEqual({ 'H100-80GB': 192 });
      const { prompts } = await c.listPrompts();
      expect(prompts.map((p) => p.name).sort()).toEqual(['diagnose-pending', 'find-capacity', 'right-size']);
      const p = await c.getPrompt({ name: 'find-capacity', arguments: { gpus: '16', model: 'H100-80GB' } });
      expect((p.messages[0]!.content as { text: string }).text).toContain('16 GPU(s) of model H100-80GB');
    });

    it('a viewer cannot apply or drain: tool errors with the API\'s 403, each in the audit log', async () => {
      const c = await open(transport, tokens.finance!);
      const applied = await call(c, 'apply', { manifest: job(`viewer-${transport}`) });
      expect(applied.isError).toBe(true);
      expect(textOf(applied)).toMatch(/Forbidden, HTTP 403/);
      const drained = await call(c, 'drain_node', { name: 'fra1-h100-40', confirm: true });
      expect(drained.isError).toBe(true);
      expect(textOf(drained)).toMatch(/Forbidden, HTTP 403/);
      const log = await new WeftClient({ server: up.url, token: admin }).audit.list({ user: 'finance', limit: 500 });
      const refused = log.items.filter((e) => e.status === 403);
      expect(refused.some((e) => e.kind === 'Job' && e.name === `viewer-${transport}` && e.project === 'vision')).toBe(true);
      expect(refused.some((e) => e.kind === 'Node' && e.path.endsWith('/drain'))).toBe(true);
      const api = new WeftClient({ server: up.url, token: admin });
      await expect(api.get('Job', `viewer-${transport}`, { project: 'vision' })).rejects.toThrow(/not found/);
    });

    it('dryRun changes nothing, and destructive tools refuse without confirm', async () => {
      const c = await open(transport, admin);
      const api = new WeftClient({ server: up.url, token: admin });
      const dry = await call(c, 'apply', { manifest: job(`dry-${transport}`, { duration: '1s' }), dryRun: true });
      expect(dry.isError, textOf(dry)).toBeFalsy();
      expect((dry.structuredContent as { results: { action: string; whatIf?: unknown }[] }).results).toEqual([expect.objectContaining({ action: 'created', whatIf: expect.anything() })]);
      await expect(api.get('Job', `dry-${transport}`, { project: 'vision' })).rejects.toThrow(/not found/);
      // An existing object: the change is described, not made.
      const before = await api.get('Project', 'nlp');
      const change = { apiVersion: 'weft/v1', kind: 'Project', metadata: { name: 'nlp', labels: { org: 'changed' } }, spec: before.spec };
      const dryChange = await call(c, 'apply', { manifest: change, dryRun: true });
      expect((dryChange.structuredContent as { results: { action: string; changed: string[] }[] }).results[0]).toMatchObject({ action: 'configured', changed: ['metadata'] });
      expect((await api.get('Project', 'nlp')).metadata.resourceVersion).toBe(before.metadata.resourceVersion);

      const node = `fra1-h100-1${transport === 'http' ? 1 : 2}`;
      const unconfirmed = await call(c, 'drain_node', { name: node });
      expect(unconfirmed.isError).toBe(true);
      expect(textOf(unconfirmed)).toMatch(/confirm: true/);
      expect((await api.get('Node', node)).spec.unschedulable).toBeUndefined();
      const deleted = await call(c, 'delete_resource', { kind: 'Project', name: 'nlp' });
      expect(textOf(deleted)).toMatch(/confirm: true/);
      await api.get('Project', 'nlp');
      const cordoned = await call(c, 'cordon_node', { name: node });
      expect(cordoned.structuredContent).toEqual({ node, unschedulable: true });
      await call(c, 'uncordon_node', { name: node });
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
    // eu-fra-1 has 20 nodes of 8 H100s: the filler takes all of them for 10 minutes. Both are
    // best-effort, so the waiting job cannot preempt the filler (a later test's urgent job can).
    expect((await box.weft(['apply', '-f', '-'], { input: job('filler', { replicas: 20, bestEffort: true }) })).code).toBe(0);
    expect((await box.weft(['apply', '-f', '-'], { input: job('waiting', { duration: '1m', bestEffort: true }) })).code).toBe(0);
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

  it('an apply that would preempt running work needs confirm: true', async () => {
    // The best-effort filler still holds all of eu-fra-1; the urgent fine-tune outranks it.
    expect((await box.weft(['delete', 'job', 'waiting', '-p', 'vision'])).code).toBe(0);
    const api = new WeftClient({ server: up.url, token: admin });
    const urgent = readFileSync(join(ROOT, 'examples', 'preemption', '20-urgent.yaml'), 'utf8');
    const c = await open('http', admin);
    const refused = await call(c, 'apply', { manifest: urgent });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toMatch(/would preempt running work: .*job\/vision\/filler.*confirm: true/s);
    await expect(api.get('Job', 'urgent-finetune', { project: 'vision' })).rejects.toThrow(/not found/);
    const applied = await call(c, 'apply', { manifest: urgent, confirm: true });
    expect(applied.isError, textOf(applied)).toBeFalsy();
    expect((applied.structuredContent as { results: { action: string; whatIf: { outcome: string } }[] }).results[0]).toMatchObject({ action: 'created', whatIf: { outcome: 'preempts' } });
  });

  describe('read-only', () => {
    it('weft mcp --read-only offers no tool that changes anything', async () => {
      const c = await open('stdio', admin, ['--read-only']);
      const names = (await c.listTools()).tools.map((t) => t.name);
      expect(names.sort()).toEqual([...READ_TOOLS].sort());
      const res = await call(c, 'apply', { manifest: job('nope') });
      expect(res.isError).toBe(true);
      expect(textOf(res)).toMatch(/not found/);
    });
  });
});
