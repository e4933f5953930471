// The whole serving loop with real processes on loopback: `weft up`, two `weft agent --fake-gpus`
// processes running a small Node model server per replica, the gateway in front. A bounded burst
// scales the Service up; after the scale-down window it comes back to one replica.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WeftClient } from '../../src/client/index.js';
import { assertBuilt, interrupt, sandbox, weftUp, type Sandbox, type UpServer } from '../cli/helpers.js';
import { joinToken, killHard, killReplicas, startAgent, until, type AgentProc } from '../agent/helpers.js';

const PROJECT = 'serving';

/** A model server: /ready is 200; anything else answers after 200 ms with the replica's name. */
const MODEL_SERVER = `
const http = require('node:http');
http.createServer((req, res) => {
  if (req.url === '/ready') return res.end('ok');
  setTimeout(() => res.end(JSON.stringify({ replica: process.env.WEFT_ALLOCATION })), 200);
}).listen(Number(process.env.PORT), '127.0.0.1');
`;

describe('serving with real agents', () => {
  let box: Sandbox;
  let up: UpServer;
  let admin: WeftClient;
  const agents: AgentProc[] = [];

  beforeAll(async () => {
    assertBuilt();
    box = sandbox();
    up = await weftUp(box, '.weft');
    admin = new WeftClient({ server: up.url, token: up.token! });
    await admin.create({ apiVersion: 'weft/v1', kind: 'Project', metadata: { name: PROJECT }, spec: {} });
    for (const name of ['s1', 's2']) agents.push(await startAgent(box, up.url, name, await joinToken(box)));
    await until('two Ready agent nodes', async () => ((await admin.list('Node')).items.filter((n) => n.status?.state === 'Ready').length === 2 ? true : undefined), 30_000);
  }, 120_000);

  afterAll(async () => {
    for (const a of agents) {
      await killHard(a.child);
      killReplicas(a.stateDir);
    }
    if (up) await interrupt(up.child);
    box?.cleanup();
  }, 30_000);

  const live = async () =>
    (await admin.list('Allocation', { project: PROJECT, labelSelector: 'weft.dev/workload=llm' })).items.filter(
      (a) => ['Bound', 'Running'].includes(String(a.status?.phase ?? 'Bound')) && !a.status?.stopRequested,
    );
  const desired = async () => (await admin.get('Service', 'llm', { project: PROJECT })).status?.desiredReplicas;
  const infer = async () => {
    const res = await fetch(`${up.url}/${PROJECT}/llm/v1/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${up.token}`, 'content-type': 'application/json' },
      body: '{"prompt":"hi"}',
      signal: AbortSignal.timeout(30_000),
    });
    return { status: res.status, replica: res.headers.get('x-weft-replica') ?? '', text: await res.text() };
  };

  it('routes to agent-run replicas, scales up under a burst and back down', async () => {
    await admin.create({
      apiVersion: 'weft/v1',
      kind: 'Service',
      metadata: { name: 'llm', project: PROJECT },
      spec: {
        resources: { cpu: '100m', memory: '64Mi' },
        command: ['node', '-e', MODEL_SERVER],
        replicas: { min: 1, max: 3 },
        readiness: { path: '/ready', periodSeconds: 1 },
        autoscaling: { targetInFlight: 5, scaleDownStabilizationSeconds: 3 },
      },
    });
    const first = await until('a first answer', async () => {
      const r = await infer();
      return r.status === 200 ? r : undefined;
    }, 60_000);
    expect(JSON.parse(first.text).replica).toBe(first.replica);

    // At least 200 requests, 20 at a time, and on until two replicas have answered (at most 60 s).
    const servedBy = new Set<string>();
    const failures: string[] = [];
    let peak = 0;
    let sent = 0;
    const stopAt = Date.now() + 60_000;
    const watchPeak = setInterval(() => void desired().then((d) => (peak = Math.max(peak, typeof d === 'number' ? d : 0)), () => undefined), 200);
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (sent < 200 || (servedBy.size < 2 && Date.now() < stopAt)) {
          sent++;
          const r = await infer();
          if (r.status === 200) servedBy.add(r.replica);
          else failures.push(`${r.status} ${r.text}`);
        }
      }),
    );
    clearInterval(watchPeak);
    expect(failures).toEqual([]);
    expect(peak).toBe(3);
    expect(servedBy.size).toBeGreaterThan(1);

    await until('back to one replica', async () => ((await desired()) === 1 && (await live()).length === 1 ? true : undefined), 60_000);
    expect((await infer()).status).toBe(200);
  }, 240_000);
});
