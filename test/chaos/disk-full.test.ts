// Chaos: the embedded data directory's disk fills up. The server runs on a small tmpfs mounted
// for the run (root only; skipped where mounting is not allowed), a burst of creates goes on, and
// a ballast file takes all but a few MiB. While the disk is full the server must stay up and
// refuse writes with 507 (never 500); once the ballast is removed writes succeed again without
// a restart. A final kill -9 and restart proves every acknowledged write reached the disk.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { seededRng } from '../../src/scheduler/rng.js';
import { simFleet } from './fleet.js';
import { LONG, scale } from './report.js';
import { ChaosRun } from './run.js';
import { ChaosServer, sandboxes, sleep } from './servers.js';

const MIB = 2 ** 20;
const FULL_FOR_MS = scale(4000, 20_000);

const sandbox = sandboxes();
let mountPoint: string | undefined;
afterAll(() => {
  if (mountPoint) {
    execFileSync('umount', [mountPoint]);
    rmSync(mountPoint, { recursive: true, force: true });
  }
}, 60_000);

/** A fresh tmpfs of `mib` MiB, or undefined where this process may not mount one. */
function smallDisk(mib: number): string | undefined {
  if (userInfo().uid !== 0) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'weft-chaos-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${mib}m`, 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
}

/** Fills the file system of `dir` up to `leaveMiB` free with one file; returns its path. */
async function ballast(dir: string, leaveMiB: number): Promise<string> {
  const path = join(dir, 'ballast');
  const fh = await open(path, 'w');
  const chunk = Buffer.alloc(MIB);
  try {
    for (;;) {
      const fs = statfsSync(dir);
      if (fs.bavail * fs.bsize <= leaveMiB * MIB) break;
      await fh.write(chunk);
    }
  } finally {
    await fh.close();
  }
  return path;
}

// Long only (npm run chaos): a mount and a server filling it take longer than npm test allows.
describe.skipIf(!LONG)('chaos: the data directory’s disk fills up', () => {
  it('writes are refused with 507 while it is full and succeed again once there is room; nothing acknowledged is lost', { timeout: scale(300_000, 600_000) }, async (ctx) => {
    mountPoint = smallDisk(160);
    if (!mountPoint) ctx.skip(); // not root, or no permission to mount
    const rng = seededRng(53);
    const server = new ChaosServer(sandbox(), { dataDir: join(mountPoint!, 'data') });
    await server.start();
    await server.readyAfterMs();
    await simFleet(() => server, 4);

    const run = new ChaosRun(() => server);
    const { ledger } = run;
    run.startBurst(rng, 30, 6);
    await sleep(1500);
    const ballastFile = await ballast(mountPoint!, 4);
    // Wait until the disk is really full (writes refused), then let it stay full a while.
    const fullAt = performance.now();
    while ((ledger.statuses.get(507) ?? 0) === 0 && performance.now() - fullAt < 60_000) await sleep(100);
    await sleep(FULL_FOR_MS);
    expect(server.running, `the server died when the disk filled up:\n${server.lastLines()}`).toBe(true);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    await run.sample();

    rmSync(ballastFile);
    const ackedWhenFreed = ledger.acked.length;
    await sleep(2000);
    const open = await run.finishBurst();
    expect(ledger.acked.length, 'no write succeeded after the disk had room again').toBeGreaterThan(ackedWhenFreed);
    expect(ledger.statuses.get(507) ?? 0, 'the disk never filled up').toBeGreaterThan(0);
    expect(ledger.statuses.get(500) ?? 0, 'a full disk answered 500').toBe(0);

    // Everything acknowledged is on disk: read back after a kill -9 and a restart.
    await server.kill();
    await server.start();
    const ready = await server.readyAfterMs();
    await run.verdict(
      {
        scenario: 'data directory disk full',
        engine: 'pglite',
        faults: 1,
        timeToReadyMs: ready,
        notes: { refusedWith507: ledger.statuses.get(507) ?? 0, refusedWith500: ledger.statuses.get(500) ?? 0 },
      },
      open,
    );
    await server.stop();
  });
});
