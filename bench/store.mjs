// Store benchmark: the persistence layer alone, without HTTP — create / get / update / list of
// 10k objects / watch fan-out, on PGlite (memory and on disk) and on PostgreSQL when
// WEFT_BENCH_DATABASE_URL or WEFT_TEST_DATABASE_URL is set (a scratch database is created and
// dropped). Run with `npm run build && node bench/store.mjs`. Not part of `npm test`.
//
//   node bench/store.mjs [--objects 10000] [--concurrency 32] [--watchers 100] [--engines pglite-mem,pglite-disk,postgres]
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { pct, scratchDir, scratchPostgres } from './scratch.mjs';
import { openStore } from '../dist/store/index.js';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const N = Number(args.objects ?? 10_000);
const C = Number(args.concurrency ?? 32);
const WATCHERS = Number(args.watchers ?? 100);
const pgUrl = process.env.WEFT_BENCH_DATABASE_URL ?? process.env.WEFT_TEST_DATABASE_URL;
const engines = (args.engines ?? `pglite-mem,pglite-disk${pgUrl ? ',postgres' : ''}`).split(',');


/** Runs `count` operations with `C` in flight; returns ops/s and latency percentiles (ms). */
async function load(count, op) {
  const lat = new Array(count);
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: C }, async () => {
      while (next < count) {
        const i = next++;
        const s = performance.now();
        await op(i);
        lat[i] = performance.now() - s;
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  return { opsPerSec: Math.round(count / secs), p50: pct(lat, 50), p99: pct(lat, 99) };
}

const job = (i) => ({
  apiVersion: 'weft/v1',
  kind: 'Job',
  metadata: { name: `job-${String(i).padStart(6, '0')}`, project: `team-${i % 10}`, labels: { app: `a${i % 7}`, tier: i % 2 ? 'gpu' : 'cpu' } },
  spec: { replicas: 1 + (i % 8), resources: { cpu: '16', memory: '128Gi', gpu: { count: 8, models: ['H100-80GB'] } }, queue: 'default' },
});

async function bench(engine) {
  let cleanup = async () => {};
  let store;
  if (engine === 'postgres') {
    const s = await scratchPostgres(pgUrl, 'store');
    store = await openStore({ url: s.url });
    cleanup = s.drop;
  } else if (engine === 'pglite-disk') {
    const d = await scratchDir('store');
    store = await openStore({ dataDir: d.dir });
    cleanup = d.drop;
  } else {
    store = await openStore({});
  }
  const rows = [];
  try {
    const created = new Array(N);
    const cr = await load(N, async (i) => (created[i] = await store.create(job(i))));
    rows.push(['create', cr]);
    const gr = await load(N, (i) => store.get({ kind: 'Job', project: `team-${i % 10}`, name: `job-${String(i).padStart(6, '0')}` }));
    rows.push(['get', gr]);
    const ur = await load(Math.min(N, 5000), (i) => store.update({ ...created[i], status: { phase: 'Running' } }, { resourceVersion: created[i].metadata.resourceVersion }));
    rows.push(['update (with resourceVersion)', ur]);
    const lists = [];
    for (let r = 0; r < 5; r++) {
      const t = performance.now();
      const res = await store.list('Job');
      lists.push(performance.now() - t);
      if (res.items.length !== N) throw new Error(`list returned ${res.items.length}`);
    }
    rows.push([`list ${N} (whole)`, { opsPerSec: '', p50: pct(lists, 50), p99: Math.max(...lists) }]);
    const paged = performance.now();
    let cont;
    do {
      const page = await store.list('Job', { limit: 500, continue: cont });
      cont = page.continue;
    } while (cont);
    rows.push([`list ${N} (pages of 500)`, { opsPerSec: '', p50: performance.now() - paged, p99: '' }]);
    const sel = [];
    for (let r = 0; r < 5; r++) {
      const t = performance.now();
      await store.list('Job', { labelSelector: 'app=a3,tier=gpu' });
      sel.push(performance.now() - t);
    }
    rows.push(['list with label selector (~7% match)', { opsPerSec: '', p50: pct(sel, 50), p99: Math.max(...sel) }]);

    // Fan-out: WATCHERS live watches on one project; 1000 writes; time until every watcher has all.
    const W = 1000;
    const from = await store.currentResourceVersion();
    const acs = Array.from({ length: WATCHERS }, () => new AbortController());
    const t0 = performance.now();
    const done = acs.map(async (ac) => {
      let n = 0;
      for await (const _ of store.watch({ kind: 'Job', project: 'fanout', resourceVersion: from, signal: ac.signal })) if (++n === W) break;
      return performance.now();
    });
    for (let i = 0; i < W; i += C) {
      await Promise.all(Array.from({ length: Math.min(C, W - i) }, (_, k) => store.create({ ...job(N + i + k), metadata: { ...job(N + i + k).metadata, project: 'fanout' } })));
    }
    const ends = await Promise.all(done);
    for (const ac of acs) ac.abort();
    const secs = (Math.max(...ends) - t0) / 1000;
    rows.push([`watch fan-out (${WATCHERS} watchers × ${W} events)`, { opsPerSec: Math.round((WATCHERS * W) / secs), p50: '', p99: '' }]);
  } finally {
    await store.close();
    await cleanup();
  }
  return rows;
}

const fmt = (v) => (typeof v === 'number' ? (v >= 100 ? v.toFixed(0) : v.toFixed(2)) : v);
console.log(`store benchmark: ${N} objects, concurrency ${C}, ${cpus().length} CPUs, Node ${process.version}\n`);
for (const engine of engines) {
  const rows = await bench(engine);
  console.log(`### ${engine}\n\n| operation | ops/s | p50 ms | p99 ms |\n|---|---:|---:|---:|`);
  for (const [name, r] of rows) console.log(`| ${name} | ${fmt(r.opsPerSec)} | ${fmt(r.p50)} | ${fmt(r.p99)} |`);
  console.log('');
}
