// Console load time: a scratch `weft up` (the built CLI, embedded database in a temporary
// directory) is filled through the API with 1,000 nodes (8 GPUs each) and 5,000 Jobs, then
// Chromium (headless, /usr/bin/chromium) opens the main pages and we time the first meaningful
// render: the overview's figures counting all 1,000 nodes; the workloads table's newest rows
// with the total of 5,000; the fleet heatmap with every node and its allocations; one Job's
// detail with its allocations; the queues and projects tables with GPUs in use. Timed from
// navigation start, in the page.
// Needs `npm run build` (which builds the console too). Not part of `npm test`.
//
//   node bench/console.mjs [--nodes 1000] [--workloads 5000] [--runs 5]
//   node bench/console.mjs --url http://127.0.0.1:7070 --token weft_… [--nodes N --workloads N]
//       (measure an already filled server; the counts say what the pages must show)
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { api, fillFleet } from './fleet-fill.mjs';
import { chromium } from 'playwright-core';
import { pct } from './scratch.mjs';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
const NODES = Number(args.nodes ?? 1000);
const WORKLOADS = Number(args.workloads ?? 5000);
const RUNS = Number(args.runs ?? 5);
const BIN = fileURLToPath(new URL('../bin/weft.js', import.meta.url));

async function main() {
  if (args.url && args.token) {
    // An already filled server: only measure.
    console.log(`Console load benchmark against ${args.url}, ${cpus().length} CPUs, Node ${process.version}`);
    return report(await measure(args.url, args.token));
  }
  const dir = mkdtempSync(join(tmpdir(), 'weft-bench-console-'));
  // The nodes are registered without agents behind them; a long heartbeat allowance keeps the
  // node-lifecycle controller from declaring them lost (and restarting 5,000 Jobs) mid-measurement.
  const child = spawn(process.execPath, [BIN, 'up', '--port', '0', '--data-dir', join(dir, 'data'), '--node-not-ready-after', '24h'], {
    cwd: dir,
    env: { ...process.env, WEFT_CONFIG: join(dir, 'config.yaml'), NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  try {
    const { url, token } = await started(child);
    console.log(`Console load benchmark: ${NODES} nodes, ${WORKLOADS} workloads, ${cpus().length} CPUs, Node ${process.version}`);
    const t0 = performance.now();
    await fillFleet(url, token, { nodes: NODES, workloads: WORKLOADS, log: console.log });
    console.log(`created in ${((performance.now() - t0) / 1000).toFixed(1)} s; waiting for the scheduler to settle…`);
    const t1 = performance.now();
    await settle(url, token);
    console.log(`settled ${((performance.now() - t1) / 1000).toFixed(0)} s later`);
    report(await measure(url, token));
  } finally {
    child.kill('SIGINT');
    await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
    rmSync(dir, { recursive: true, force: true });
  }
}

function report(rows) {
  console.log(`\n| page | what is on screen | runs | first (cold) ms | median ms | max ms | every run ms |\n|---|---|---:|---:|---:|---:|---|`);
  for (const r of rows) console.log(`| ${r.page} | ${r.what} | ${r.times.length} | ${r.times[0].toFixed(0)} | ${pct(r.times, 50).toFixed(0)} | ${Math.max(...r.times).toFixed(0)} | ${r.times.map((t) => t.toFixed(0)).join(', ')} |`);
}

function started(child) {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`weft up did not start:\n${out}`)), 60_000);
    child.stdout.on('data', (d) => {
      out += d;
      const url = /API:\s+(http:\/\/\S+?)\/api\/v1/.exec(out)?.[1];
      const token = /^\s+(weft_\S+)\s*$/m.exec(out)?.[1];
      if (url && token && /Try: /.test(out)) {
        clearTimeout(timer);
        resolve({ url, token });
      }
    });
    child.on('exit', (code) => reject(new Error(`weft up exited with ${code}:\n${out}`)));
  });
}

/**
 * Waits until the number of allocations stops changing for 5 s (at most 3 minutes), then until
 * the server is idle: a burst of 5,000 submissions keeps its scheduling loop busy for minutes
 * after the last placement, and the pages are measured on a server at rest.
 */
async function settle(url, token) {
  await settleAllocations(url, token);
  await idle(url);
}

/** Five /healthz answers in a row under 20 ms, one a second (at most 6 minutes). */
async function idle(url) {
  const deadline = performance.now() + 360_000;
  let calm = 0;
  while (calm < 5 && performance.now() < deadline) {
    const t = performance.now();
    await fetch(`${url}/healthz`).then((r) => r.arrayBuffer());
    calm = performance.now() - t < 20 ? calm + 1 : 0;
    await new Promise((r) => setTimeout(r, 1000));
  }
  if (calm < 5) console.log('the server did not come to rest within 6 minutes; measuring anyway');
}

async function settleAllocations(url, token) {
  let last = -1;
  let stableSince = performance.now();
  const deadline = performance.now() + 180_000;
  while (performance.now() < deadline) {
    const list = await api(url, token, 'GET', '/api/v1/allocations?limit=1');
    const count = Number(list.metadata?.remainingItemCount ?? NaN);
    const key = Number.isNaN(count) ? list.metadata?.resourceVersion : count;
    if (key !== last) {
      last = key;
      stableSince = performance.now();
    } else if (performance.now() - stableSince > 5000) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

async function measure(url, token) {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const pages = [
    {
      page: 'overview', hash: '#/overview', what: `figures for all ${NODES} nodes`,
      ready: (n) => document.querySelector('[data-testid="overview-stats"]')?.textContent?.includes(`${n}Nodes`),
      arg: NODES,
    },
    {
      page: 'workloads', hash: '#/workloads', what: `newest rows and the total of ${WORKLOADS} jobs`,
      ready: (n) => document.querySelectorAll('[data-testid="workloads-table"] tbody tr').length > 0 && document.body.textContent.includes(`of ${n}.`),
      // The whole collections load behind the first page; the next run starts after that.
      settled: () => !document.body.textContent.includes('Loading the rest'),
      arg: WORKLOADS,
    },
    {
      page: 'fleet', hash: '#/fleet', what: `heatmap of ${NODES} nodes with their allocations`,
      // The page draws the heatmap once both Nodes and Allocations are in.
      ready: (n) => document.querySelectorAll('.node-tile').length === n,
      arg: NODES,
    },
    {
      page: 'workload detail', hash: '#/workloads/Job/alpha/job-00000', what: 'one Job with its allocations, out of 5000',
      ready: () => document.querySelector('[data-testid="workload-phase"]') !== null && document.querySelector('[data-testid="timeline"]') !== null && !document.body.textContent.includes('Loading allocations'),
      arg: 0,
    },
    {
      page: 'queues', hash: '#/queues', what: 'queues and projects with GPUs in use',
      ready: () => document.querySelectorAll('[data-testid="projects-table"] tbody tr').length > 0 && !document.body.textContent.includes('Loading'),
      arg: 0,
    },
  ];
  const rows = [];
  const breakdown = [];
  try {
    // A user's browser is already running: start it up once before timing anything.
    const warm = await browser.newContext();
    await (await warm.newPage()).goto(`${url}/healthz`);
    await warm.close();
    for (const p of pages) {
      const times = [];
      // One context for all runs: the first is a cold load, later ones have the assets cached,
      // as a user coming back to the console would.
      const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
      await context.addInitScript((t) => sessionStorage.setItem('weft.console.token', t), token);
      for (let i = 0; i < RUNS; i++) {
        const page = await context.newPage();
        await page.goto(`${url}/${p.hash}`);
        const handle = await page.waitForFunction(
          ({ src, arg }) => (new Function('n', `return (${src})(n)`)(arg) ? performance.now() : false),
          { src: p.ready.toString(), arg: p.arg },
          { polling: 'raf', timeout: 60_000 },
        );
        times.push(await handle.jsonValue());
        if (i === RUNS - 1) breakdown.push({ page: p.page, requests: await page.evaluate(apiTimings) });
        // Let what the page loads after its first render finish, so one run does not slow the next.
        if (p.settled) await page.waitForFunction(p.settled, undefined, { polling: 100, timeout: 60_000 });
        await page.close();
        await new Promise((r) => setTimeout(r, 500));
      }
      await context.close();
      rows.push({ page: p.page, what: p.what, times });
    }
  } finally {
    await browser.close();
  }
  // Where the last run's time went: each API request's start and end, from navigation start.
  for (const b of breakdown) {
    console.log(`\n${b.page} (last run), API requests:`);
    for (const r of b.requests) console.log(`  ${r.start.toFixed(0).padStart(5)} → ${r.end.toFixed(0).padStart(5)} ms  ${(r.bytes / 1024).toFixed(0).padStart(6)} KiB  ${r.path}`);
  }
  return rows;
}

function apiTimings() {
  return performance
    .getEntriesByType('resource')
    .filter((e) => e.name.includes('/api/') || e.name.includes('/assets/'))
    .map((e) => ({ path: new URL(e.name).pathname + new URL(e.name).search, start: e.startTime, end: e.responseEnd, bytes: e.encodedBodySize }));
}

await main();
