// What every benchmark needs around the code it measures: a scratch database or data directory
// that is removed afterwards, latency percentiles, and a synthetic fleet for the scheduler.
import pg from 'pg';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const GIB = 1024 ** 3;

/** n scheduler NodeInputs: 8 × H100-80GB, 128 cores and 2 TiB each, 16 to a rack. */
export function h100Fleet(n) {
  return Array.from({ length: n }, (_, i) => ({
    name: `node-${String(i).padStart(5, '0')}`,
    cpuMilli: 128_000,
    memoryBytes: 2048 * GIB,
    gpus: 8,
    gpuModel: 'H100-80GB',
    rack: `rack-${Math.floor(i / 16)}`,
  }));
}

/** p-th percentile (nearest rank) of xs. */
export function pct(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

/** A fresh database on the PostgreSQL server at pgUrl; drop() removes it. */
export async function scratchPostgres(pgUrl, name) {
  const admin = new pg.Client({ connectionString: pgUrl });
  await admin.connect();
  const db = `weft_bench_${name}_${process.pid}`;
  await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${db}`);
  const url = new URL(pgUrl);
  url.pathname = `/${db}`;
  return {
    url: url.toString(),
    drop: async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
      await admin.end();
    },
  };
}

/** A fresh embedded data directory; drop() removes it. */
export async function scratchDir(name) {
  const dir = await mkdtemp(join(tmpdir(), `weft-bench-${name}-`));
  return { dir, drop: () => rm(dir, { recursive: true, force: true }) };
}

/** Store options for an engine name ('postgres' or an embedded one) and the matching clean-up. */
export async function scratchEngine(engine, pgUrl, name) {
  if (engine === 'postgres') {
    const s = await scratchPostgres(pgUrl, name);
    return { config: { url: s.url }, cleanup: s.drop };
  }
  const d = await scratchDir(name);
  return { config: { dataDir: d.dir }, cleanup: d.drop };
}
