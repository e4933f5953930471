// `weft usage` and `weft invoice` through the real binary against a real `weft up` whose store
// already holds a metered month: table, JSON and CSV agree with the hand-computed figures.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { assertBuilt, interrupt, sandbox, weftUp, type Sandbox, type UpServer } from './helpers.js';

const OCT = ['--from', '2026-10-01T00:00:00Z', '--to', '2026-11-01T00:00:00Z'];

describe('weft usage / weft invoice', () => {
  let box: Sandbox;
  let up: UpServer | undefined;
  beforeAll(async () => {
    assertBuilt();
    box = sandbox();
    const dataDir = join(box.dir, 'data');
    // The month is written before the server starts, as providers would have written it.
    const store = await openStore({ dataDir });
    try {
      await store.create({ apiVersion: 'weft/v1', kind: 'Project', metadata: { name: 'vision' }, spec: {} });
      await store.create({ apiVersion: 'weft/v1', kind: 'Node', metadata: { name: 'n1' }, spec: { site: 'eu-fra-1', cpu: '64', memory: '512Gi', gpus: [] } });
      await store.create({
        apiVersion: 'weft/v1',
        kind: 'PriceBook',
        metadata: { name: 'list' },
        spec: {
          currency: 'EUR',
          prices: [
            { resource: 'gpu', model: 'H100-80GB', pricePerHour: '2.50', effectiveUntil: '2026-10-15T00:00:00Z' },
            { resource: 'gpu', model: 'H100-80GB', pricePerHour: '2.00', effectiveFrom: '2026-10-15T00:00:00Z' },
            { resource: 'cpu', pricePerHour: '0.05' },
            { resource: 'memory', pricePerHour: '0.01' },
          ],
        },
      });
      await store.create({
        apiVersion: 'weft/v1',
        kind: 'Allocation',
        metadata: { name: 'train-0', project: 'vision' },
        spec: {
          workload: { kind: 'Job', name: 'train', uid: '00000000-0000-0000-0000-000000000000' },
          replica: 0,
          attempt: 0,
          node: 'n1',
          gpus: [0, 1].map((index) => ({ index, model: 'H100-80GB', milli: 1000 })),
          cpuMilli: 4000,
          memoryBytes: 8 * 2 ** 30,
        },
        status: { phase: 'Succeeded', startedAt: '2026-10-14T22:00:00Z', finishedAt: '2026-10-15T02:00:00Z' },
      });
    } finally {
      await store.close();
    }
    up = await weftUp(box, dataDir);
  });
  afterAll(async () => {
    if (up) await interrupt(up.child);
    box?.cleanup();
  });

  it('prints usage as a table, JSON and CSV', async () => {
    const table = await box.weft(['usage', ...OCT, '--by', 'model']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^MODEL\s+GPU-HOURS\s+CPU-CORE-HOURS\s+MEMORY-GIB-HOURS\s+COST \(EUR\)$/m);
    expect(table.stdout).toMatch(/^H100-80GB\s+8\.00\s+16\.00\s+32\.00\s+19\.12$/m);

    const json = await box.weft(['usage', ...OCT, '--by', 'workload', '-p', 'vision', '-o', 'json']);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ by: 'workload', currency: 'EUR', rows: [{ key: 'vision/job/train', gpuHours: 8, cost: '19.12' }] });

    const csv = await box.weft(['usage', ...OCT, '--by', 'site', '-o', 'csv']);
    expect(csv.code, csv.stderr).toBe(0);
    expect(csv.stdout.trim().split('\n')).toEqual(['site,gpuHours,cpuCoreHours,memoryGiBHours,cost,currency', 'eu-fra-1,8,16,32,19.12,EUR']);
  });

  it('prints an invoice whose total is the sum of its lines', async () => {
    const table = await box.weft(['invoice', 'vision', '--month', '2026-10']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toContain('Invoice for project vision, 2026-10');
    expect(table.stdout).toMatch(/H100-80GB GPU-hours \(eu-fra-1\)\s+eu-fra-1\s+4\.00\s+GPU-hour\s+2\.50\s+10\.00/);
    expect(table.stdout).toMatch(/^TOTAL\s+19\.12$/m);

    const json = JSON.parse((await box.weft(['invoice', 'vision', '--month', '2026-10', '-o', 'json'])).stdout) as { lines: { amount: string }[]; total: string };
    expect(json.lines.map((l) => l.amount)).toEqual(['0.80', '8.00', '10.00', '0.32']);
    expect(json.total).toBe('19.12');

    const csv = (await box.weft(['invoice', 'vision', '--month', '2026-10', '-o', 'csv'])).stdout.trim().split('\n');
    expect(csv[0]).toBe('project,month,description,resource,site,quantity,unit,unitPrice,amount,currency');
    expect(csv).toHaveLength(6);
    expect(csv[5]).toBe('vision,2026-10,TOTAL,,,,,,19.12,EUR');
  });

  it('refuses wrong usage with exit code 2, and an unknown project with 1', async () => {
    expect((await box.weft(['invoice', 'vision', '--month', '2026-13'])).code).toBe(2);
    expect((await box.weft(['usage', '-o', 'xml'])).code).toBe(2);
    expect((await box.weft(['usage', '--by', 'colour'])).code).toBe(2);
    const missing = await box.weft(['invoice', 'nope', '--month', '2026-10']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('project "nope" not found');
  });
});
