// Chaos: a two-server HA pair on one PostgreSQL (a private cluster), with a burst of creates
// spread over both, and `kill -9` of whichever server leads. The other must take over (its log
// says "control plane: leading"), scheduling must go on, and nothing acknowledged may be lost or
// any GPU held twice. The killed server comes back as a follower; the long run kills the leader
// again each round.
import { describe, expect, it } from 'vitest';
import { seededRng } from '../../src/scheduler/rng.js';
import { simFleet } from './fleet.js';
import { postgresBin, privatePostgres } from './postgres-cluster.js';
import { LONG, scale } from './report.js';
import { ChaosRun } from './run.js';
import { ChaosServer, sandboxes, sleep } from './servers.js';

const KILLS = scale(1, 5);

const sandbox = sandboxes();
const cluster = privatePostgres();

/** The server whose latest term started last and that is still running: the leader. */
function leaderOf(servers: ChaosServer[]): ChaosServer | undefined {
  const live = servers.filter((s) => s.running && s.leadingAt.length > 0);
  return live.sort((a, b) => b.leadingAt.at(-1)! - a.leadingAt.at(-1)!)[0];
}

async function waitForLeader(servers: ChaosServer[], after: number, timeoutMs: number): Promise<ChaosServer> {
  const end = performance.now() + timeoutMs;
  while (performance.now() < end) {
    const s = servers.find((x) => x.running && x.leadingAt.some((t) => t > after));
    if (s) return s;
    await sleep(20);
  }
  throw new Error(`no server took over within ${timeoutMs} ms:\n${servers.map((s) => s.lastLines(10)).join('\n---\n')}`);
}

// Two servers and a private cluster: too slow for npm test, run by npm run chaos.
describe.skipIf(!LONG || !postgresBin())('chaos: leader kill in a two-server HA pair', () => {
  it(`${KILLS} leader kill(s) during a burst over both servers: the other takes over, nothing lost`, { timeout: scale(300_000, 900_000) }, async () => {
    const box = sandbox();
    const backend = { databaseUrl: await (await cluster()).database('chaos_ha') };
    const rng = seededRng(22);
    const a = new ChaosServer(box, backend);
    await a.start();
    await a.readyAfterMs();
    let ready = 0; // the longest restart, not the first start of a fresh store
    const b = new ChaosServer(box, backend, a.token);
    await b.start();
    await b.readyAfterMs();
    const pair = [a, b];
    await waitForLeader(pair, 0, 30_000);
    await simFleet(() => a, 6);

    // Requests alternate between the two, as behind a load balancer; a dead one is skipped.
    let turn = 0;
    const either = (): ChaosServer => {
      const live = pair.filter((s) => s.running);
      return live[turn++ % Math.max(1, live.length)] ?? a;
    };
    const run = new ChaosRun(either);
    run.startBurst(rng);
    let takeover = 0;
    for (let k = 0; k < KILLS; k++) {
      await sleep(1500 + Math.floor(rng.nextFloat() * 1000));
      await run.sample();
      const leader = leaderOf(pair)!;
      const killedAt = performance.now();
      await leader.kill();
      const next = await waitForLeader(pair, killedAt, 30_000);
      takeover = Math.max(takeover, next.leadingAt.at(-1)! - killedAt);
      expect(next).not.toBe(leader);
      await run.sample();
      await leader.start(); // back as a follower
      ready = Math.max(ready, await leader.readyAfterMs());
    }
    const open = await run.finishBurst();
    await run.verdict({ scenario: 'leader kill in a two-server HA pair', engine: 'postgres', faults: KILLS, takeoverMs: takeover, timeToReadyMs: ready }, open);
    await Promise.all(pair.map((s) => s.stop()));
  });
});
