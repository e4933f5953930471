// Chaos: PostgreSQL restarts under load (issue 22, item 8). A private cluster (never the shared
// server) is stopped and started again while a burst of creates runs against `weft server`. The
// server must stay up, say 503 on /readyz while the database is away and 200 once it is back,
// take leadership again (new work gets scheduled), and lose nothing it acknowledged.
import { describe, expect, it } from 'vitest';
import { seededRng } from '../../src/scheduler/rng.js';
import { simFleet } from './fleet.js';
import { postgresBin, privatePostgres } from './postgres-cluster.js';
import { scale } from './report.js';
import { ChaosRun } from './run.js';
import { ChaosServer, sandboxes, sleep } from './servers.js';

const RESTARTS = scale(1, 5);

const sandbox = sandboxes();
const privateCluster = privatePostgres();

/** Watches /readyz every 50 ms; remembers the longest unbroken stretch of non-200 answers. */
function readinessProbe(server: ChaosServer): { stop(): Promise<{ notReadyMs: number; sawNotReady: boolean }> } {
  let running = true;
  let since: number | undefined;
  let longest = 0;
  let saw = false;
  const loop = (async () => {
    while (running) {
      const ok = await fetch(`${server.url}/readyz`).then((r) => r.status === 200, () => false);
      const now = performance.now();
      if (!ok) {
        saw = true;
        since ??= now;
        longest = Math.max(longest, now - since);
      } else since = undefined;
      await sleep(50);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { notReadyMs: Math.round(longest), sawNotReady: saw };
    },
  };
}

describe.skipIf(!postgresBin())('chaos: PostgreSQL restarts under load', () => {
  it(`${RESTARTS} restart(s) during a steady burst of creates: the server lives on, leads again, loses nothing`, { timeout: scale(300_000, 900_000) }, async () => {
    const cluster = await privateCluster();
    const rng = seededRng(8);
    const server = new ChaosServer(sandbox(), { databaseUrl: await cluster.database('chaos_restart') });
    await server.start();
    await server.readyAfterMs();
    await simFleet(() => server, 6);
    const probe = readinessProbe(server);

    const run = new ChaosRun(() => server);
    run.startBurst(rng);
    let backAt = 0;
    let ready = 0; // the longest time from the database being back to /readyz 200
    for (let k = 0; k < RESTARTS; k++) {
      await sleep(1000 + Math.floor(rng.nextFloat() * 1000));
      await run.sample();
      // Odd restarts crash the database (recovery on start), even ones shut it down cleanly.
      await cluster.stop(k % 2 === 1 ? 'immediate' : 'fast');
      await sleep(1500);
      expect(server.running, `the server died with the database:\n${server.lastLines()}`).toBe(true);
      await cluster.start();
      backAt = performance.now();
      while ((await fetch(`${server.url}/readyz`).then((res) => res.status, () => 0)) !== 200) await sleep(50);
      ready = Math.max(ready, performance.now() - backAt);
    }
    const open = await run.finishBurst();
    const { notReadyMs, sawNotReady } = await probe.stop();
    expect(server.running).toBe(true);
    expect(sawNotReady, '/readyz never said 503 while the database was down').toBe(true);
    // The first term, then one per restart: leadership was lost with the session and taken again.
    expect(server.leadingAt.length, `leadership not taken again:\n${server.lastLines()}`).toBeGreaterThan(RESTARTS);
    await run.verdict(
      {
        scenario: 'PostgreSQL restart under load',
        engine: 'postgres',
        faults: RESTARTS,
        takeoverMs: server.leadingAt.at(-1)! - backAt,
        timeToReadyMs: ready,
        notes: { longestNotReadyMs: notReadyMs },
      },
      open,
    );
    await server.stop();
  });
});
