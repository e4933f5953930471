// A control-plane outage on loopback: the server goes away while a replica runs, the replica
// finishes meanwhile, and when the server is back the agent reports how it ended — without
// running it again.
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WeftClient } from '../../src/client/index.js';
import { assertBuilt, interrupt, sandbox, weftUp, type Sandbox, type UpServer } from '../cli/helpers.js';
import { allocationsOf, joinToken, jobPhase, killHard, killReplicas, startAgent, until, type AgentProc } from './helpers.js';

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((done) => srv.listen(0, '127.0.0.1', done));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((done) => srv.close(() => done()));
  return port;
}

describe('agent through a control-plane outage', () => {
  let box: Sandbox;
  let up: UpServer | undefined;
  let agent: AgentProc | undefined;
  let port = 0;

  beforeAll(async () => {
    assertBuilt();
    box = sandbox();
    port = await freePort();
    up = await weftUp(box, '.weft', ['--port', String(port)]);
  }, 90_000);

  afterAll(async () => {
    if (agent) {
      await killHard(agent.child);
      killReplicas(agent.stateDir);
    }
    if (up) await interrupt(up.child);
    box?.cleanup();
  }, 30_000);

  it('keeps the replica running while the server is down and reports it once the server is back', async () => {
    const admin = new WeftClient({ server: up!.url, token: up!.token! });
    await admin.create({ apiVersion: 'weft/v1', kind: 'Project', metadata: { name: 'o' }, spec: {} });
    agent = await startAgent(box, up!.url, 'solo', await joinToken(box));
    const marker = join(box.dir, 'outage-marker.txt');
    const done = join(box.dir, 'outage-done.txt');
    const script = `const fs = require('fs'); fs.appendFileSync(${JSON.stringify(marker)}, 'start\\n'); setTimeout(() => { fs.writeFileSync(${JSON.stringify(done)}, 'x'); console.log('finished while nobody listened'); }, 4000);`;
    const manifest = JSON.stringify({
      apiVersion: 'weft/v1',
      kind: 'Job',
      metadata: { name: 'steady', project: 'o' },
      spec: { resources: { cpu: '100m', memory: '64Mi', gpu: { count: 1 } }, command: ['node', '-e', script], restartPolicy: 'Never' },
    });
    expect((await box.weft(['apply', '-f', '-'], { input: manifest })).code).toBe(0);
    await until('steady running', async () => ((await allocationsOf(admin, 'o', 'steady'))[0]?.status?.phase === 'Running' ? true : undefined), 20_000);

    await interrupt(up!.child);
    up = undefined;
    await until('the replica to finish with the server down', async () => (existsSync(done) ? true : undefined), 15_000);
    expect(agent.child.exitCode).toBeNull(); // the agent waits it out

    up = await weftUp(box, '.weft', ['--port', String(port)]);
    await until('steady to succeed after the outage', async () => ((await jobPhase(admin, 'o', 'steady')) === 'Succeeded' ? true : undefined), 30_000, 500);
    expect(readFileSync(marker, 'utf8')).toBe('start\n');
    const logs = await box.weft(['logs', 'steady', '-p', 'o']);
    expect(logs.stdout).toContain('finished while nobody listened');
  }, 90_000);
});
