// `weft sim replay` as a user runs it: the built binary on an examples/sim scenario, then the
// four kinds of output (CSV, JSON, SVG, Markdown) read back.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCsv } from '../csv.js';

const ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const BIN = join(ROOT, 'bin', 'weft.js');
const dir = mkdtempSync(join(tmpdir(), 'weft-replay-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function weft(args: string[]) {
  if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` first');
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('weft sim replay', () => {
  it('replays examples/sim/preemption.yaml and writes CSV, JSON, SVG and Markdown', { timeout: 90_000 }, () => {
    const out = join(dir, 'preemption');
    const r = weft(['sim', 'replay', '--workload', join(ROOT, 'examples/sim/preemption.yaml'), '--out', out]);
    expect(r.stderr).toMatch(/wrote 6 files/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/preemptions 4/);

    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary).toMatchObject({ policy: 'weft', seed: 1, capacityGpus: 16 });
    expect(summary.overall.preemptions).toBe(4);

    const gangs = parseCsv(readFileSync(join(out, 'gangs.csv'), 'utf8'));
    const byId = Object.fromEntries(gangs.map((g) => [g['id'], g]));
    // The urgent gang waited only for its victims' 30 s grace; the four sweeps were the victims.
    expect(byId['urgent']).toMatchObject({ start_s: '3630', wait_s: '30' });
    for (const s of ['sweep-0', 'sweep-1', 'sweep-2', 'sweep-3']) expect(byId[s]!['preemptions']).toBe('1');
    expect(byId['pretrain']!['preemptions']).toBe('0');
    expect(byId['finetune']!['preemptions']).toBe('0');

    const queues = parseCsv(readFileSync(join(out, 'queues.csv'), 'utf8'));
    expect(queues.map((q) => q['queue'])).toEqual(['prod', 'research', '(all)']);
    const timeline = parseCsv(readFileSync(join(out, 'timeline.csv'), 'utf8'));
    expect(timeline).toHaveLength(200);
    expect(timeline.every((p) => Number(p['utilisation_pct']) >= 0 && Number(p['utilisation_pct']) <= 100.0001)).toBe(true);

    const svg = readFileSync(join(out, 'utilisation.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('research');
    const md = readFileSync(join(out, 'summary.md'), 'utf8');
    expect(md).toMatch(/\| queue \| gangs \|/);
    expect(md).toMatch(/\| research \| 5 \|/);
  });

  it('scales a scenario to an offered load and reports it', { timeout: 90_000 }, () => {
    const out = join(dir, 'loaded');
    const r = weft(['sim', 'replay', '--workload', join(ROOT, 'examples/sim/preemption.yaml'), '--load', '120%', '--load-by', 'poisson', '--arrivals', '60', '--until', '100d', '--policy', 'best-fit', '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/offered GPU load .*% → 120% \(Poisson arrivals, mean gap/);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.load).toMatchObject({ by: 'poisson' });
    expect(summary.load.offeredAfter).toBeCloseTo(1.2, 6);
    expect(summary.overall.submitted).toBe(60);
    expect(summary.arrivalWindow.utilisationPct).toBeGreaterThan(0);
    expect(readFileSync(join(out, 'summary.md'), 'utf8')).toMatch(/Offered GPU load scaled from .* to 120% of capacity/);
    const bad = weft(['sim', 'replay', '--workload', join(ROOT, 'examples/sim/preemption.yaml'), '--arrivals', '60', '--out', join(dir, 'y')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--arrivals goes with --load and --load-by poisson/);
  });

  it('replays examples/sim/reservations.yaml and compares with the same replay without the reservation', { timeout: 90_000 }, () => {
    const out = join(dir, 'reservations');
    const r = weft(['sim', 'replay', '--workload', join(ROOT, 'examples/sim/reservations.yaml'), '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/reservations 1: reserved 64 GPU-h, owners used 48; idle 80, recovered 48 \(60%: backfill 32, shared 16\); conflicts 0/);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.reservations.bookings[0]).toMatchObject({ id: 'vision/tuesday', gpus: 16, reservedGpuHours: 64 });
    expect(summary.reservationCost.waitMeanSeconds).toEqual({ with: 3600, without: 4254.5455 });
    expect(readFileSync(join(out, 'summary.md'), 'utf8')).toMatch(/\| vision\/tuesday \| 16 \| 4–8 \| 64 \| 48 \| 64 \| 32 \| 16 \|/);
    // A reservation the fleet cannot hold is a usage error naming it and the earliest window.
    const bad = join(dir, 'too-big.yaml');
    writeFileSync(bad, 'reservations:\n  - { name: big, project: p, gpus: 64, start: 1h, end: 2h }\ngangs: []\n');
    const refused = weft(['sim', 'replay', '--workload', join(ROOT, 'examples/sim/reservations.yaml'), '--reservations', bad, '--out', join(dir, 'too-big-out')]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/too-big\.yaml: reservations\[\d\] \(p\/big\): 64 GPUs do not fit from 3600 s to 7200 s/);
  });

  it('names the bad field and file, exits 2, and writes nothing', () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'nodes:\n  - { name: n, gpus: 8, cpu: "8", memory: 1Ti }\ngangs:\n  - { name: g, duration: soon, resources: { gpu: { count: 1 } } }\n');
    const r = weft(['sim', 'replay', '--workload', bad, '--out', join(dir, 'bad-out')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.yaml: gangs\[0\]\.duration: "soon" is not a duration/);
    expect(existsSync(join(dir, 'bad-out'))).toBe(false);
  });

  it('refuses a missing file and an unknown policy with a usage error', () => {
    expect(weft(['sim', 'replay', '--workload', join(dir, 'nope.yaml')])).toMatchObject({ code: 2, stderr: expect.stringMatching(/nope\.yaml: no such file/) });
    const r = weft(['sim', 'replay', '--workload', join(ROOT, 'examples/sim/preemption.yaml'), '--policy', 'fastest', '--out', join(dir, 'x')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown policy "fastest"/);
  });

  it('replays a Slurm accounting export (sacct --parsable2) on a fleet', { timeout: 90_000 }, () => {
    const out = join(dir, 'sacct');
    const r = weft(['sim', 'replay', '--sacct', join(ROOT, 'examples/sim/slurm-sacct.txt'), '--fleet', join(ROOT, 'examples/sim/backfill.yaml'), '--out', out]);
    expect(r.stderr).toMatch(/1 jobs never started in Slurm/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/completed 4\/5/); // the job still running in the export runs to the end
    const gangs = parseCsv(readFileSync(join(out, 'gangs.csv'), 'utf8'));
    expect(gangs.map((g) => g['id']).sort()).toEqual(['slurm-101', 'slurm-102', 'slurm-103', 'slurm-105', 'slurm-106']);
  });
});
