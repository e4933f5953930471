// Chaos: `kill -9` of the server during a burst of creates, on the embedded engine and on
// PostgreSQL. The burst carries on against the restarted server; afterwards every acknowledged
// create must be stored and audited, no GPU held twice at any sample, and all work finished.
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { seededRng } from '../../src/scheduler/rng.js';
import { simFleet } from './fleet.js';
import { postgresBin, privatePostgres } from './postgres-cluster.js';
import { LONG, scale } from './report.js';
import { ChaosRun } from './run.js';
import { ChaosServer, sandboxes, sleep, type ServerBackend } from './servers.js';

const KILLS = scale(1, 6);
const NODES = 6;

const sandbox = sandboxes();
const cluster = privatePostgres();
// npm test runs the embedded engine only; PostgreSQL's own restarts are postgres-restart.test.ts.
const engines = LONG && postgresBin() ? (['pglite', 'postgres'] as const) : (['pglite'] as const);

describe.each(engines)('chaos: kill -9 during a burst (%s)', (engine) => {
  it(`${KILLS} kill(s) during a steady burst of creates: nothing acknowledged lost, no GPU double-booked`, { timeout: scale(300_000, 900_000) }, async () => {
    const box = sandbox();
    const backend: ServerBackend = engine === 'pglite' ? { dataDir: join(box.dir, 'data') } : { databaseUrl: await (await cluster()).database('chaos_kill9') };
    const rng = seededRng(9);
    const server = new ChaosServer(box, backend);
    await server.start();
    await server.readyAfterMs();
    let ready = 0; // the longest restart, not the first start of a fresh store
    await simFleet(() => server, NODES);

    const run = new ChaosRun(() => server);
    run.startBurst(rng);
    for (let k = 0; k < KILLS; k++) {
      // Let the burst get going (and, on later rounds, the restarted server fill up again).
      await sleep(800 + Math.floor(rng.nextFloat() * 1500));
      await run.sample();
      await server.kill();
      await server.start();
      ready = Math.max(ready, await server.readyAfterMs());
      await run.sample();
    }
    const open = await run.finishBurst();
    await run.verdict({ scenario: 'kill -9 during a burst', engine, faults: KILLS, timeToReadyMs: ready }, open);
    await server.stop();
  });
});
