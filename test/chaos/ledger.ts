// What a chaos run writes and what it checks afterwards. A burst of creates goes to whichever
// server is up; a create counts as acknowledged only when the server answered 201, and its
// request id is kept to find its audit entry. After the fault, the run reads everything back:
// acknowledged objects that are gone are lost writes, acknowledged requests without an audit
// entry are missing audit entries, and GPUs held twice by active allocations are double-booked.
import { ACTIVE_ALLOCATION_PHASES } from '../../src/model/kinds/allocation.js';
import { sleep, type CallResult, type ChaosServer } from './servers.js';

export interface Acked {
  path: string;
  name: string;
  requestId: string;
}

export class WriteLedger {
  readonly acked: Acked[] = [];
  /** Attempts refused with a 5xx (the store unavailable), or cut off with the connection. */
  unacknowledged = 0;
  /** Other answers (4xx), with their status: a chaos run expects none but 409 on a retried create. */
  readonly refused: string[] = [];
  /** How many answers of each status the creates got (0: no answer). */
  readonly statuses = new Map<number, number>();

  /**
   * POSTs `body` to `path` until some server answers: a 201 is acknowledged, a 409 after a cut-off
   * attempt means that attempt committed unacknowledged. `server()` is asked again after each
   * failure, so a burst follows a restart or a takeover.
   */
  async create(server: () => ChaosServer, path: string, body: { metadata: { name: string } }, deadline: number): Promise<void> {
    let cutOff = false;
    while (performance.now() < deadline) {
      let r: CallResult;
      try {
        r = await server().call('POST', path, body);
      } catch {
        cutOff = true; // refused or reset: the server is down or went down under the request
        this.statuses.set(0, (this.statuses.get(0) ?? 0) + 1);
        this.unacknowledged++;
        await sleep(50);
        continue;
      }
      this.statuses.set(r.status, (this.statuses.get(r.status) ?? 0) + 1);
      if (r.status === 201) {
        this.acked.push({ path, name: body.metadata.name, requestId: r.requestId });
        return;
      }
      if (r.status === 409 && cutOff) return;
      if (r.status >= 500) {
        this.unacknowledged++;
        await sleep(50);
        continue;
      }
      this.refused.push(`${r.status} ${body.metadata.name}: ${JSON.stringify(r.body).slice(0, 200)}`);
      return;
    }
  }
}

export interface BurstOptions {
  /** Creates per second over all workers (the fleet must be able to finish them). */
  perSecond: number;
  concurrency: number;
  /** The i-th create's path and body. */
  make: (i: number) => { path: string; body: { metadata: { name: string } } };
  /** Ends the burst: no new creates start; those under way finish (or give up at the deadline). */
  stop: AbortSignal;
  deadlineMs?: number;
}

/** Creates at a steady pace until `stop` aborts, across whatever faults happen meanwhile. */
export async function burst(ledger: WriteLedger, server: () => ChaosServer, o: BurstOptions): Promise<number> {
  const deadline = performance.now() + (o.deadlineMs ?? 600_000);
  const started = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (!o.stop.aborted) {
      const i = next++;
      // Paced by the clock, not by answers: a slow or absent server does not slow the plan down.
      const due = started + (i * 1000) / o.perSecond;
      if (due > performance.now()) await sleep(due - performance.now());
      if (o.stop.aborted) return;
      const { path, body } = o.make(i);
      await ledger.create(server, path, body, deadline);
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  return next;
}

async function listNames(s: ChaosServer, path: string): Promise<Set<string>> {
  const r = await s.call('GET', path);
  if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return new Set((r.body.items as { metadata: { name: string } }[]).map((o) => o.metadata.name));
}

/** Acknowledged creates whose object is not there any more. */
export async function lostWrites(s: ChaosServer, ledger: WriteLedger): Promise<string[]> {
  const byPath = new Map<string, Set<string>>();
  const lost: string[] = [];
  for (const a of ledger.acked) {
    if (!byPath.has(a.path)) byPath.set(a.path, await listNames(s, a.path));
    if (!byPath.get(a.path)!.has(a.name)) lost.push(`${a.path}/${a.name}`);
  }
  return lost;
}

/** Acknowledged requests with no audit entry of their request id. */
export async function auditMissing(s: ChaosServer, ledger: WriteLedger): Promise<string[]> {
  const ids = new Set<string>();
  let after: string | undefined;
  for (;;) {
    const r = await s.call('GET', `/api/v1/audit?limit=10000${after ? `&after=${after}` : ''}`);
    if (r.status !== 200) throw new Error(`GET /api/v1/audit: ${r.status} ${JSON.stringify(r.body)}`);
    for (const e of r.body.items as { requestId: string }[]) ids.add(e.requestId);
    if (!r.body.next) break;
    after = r.body.next as string;
  }
  return ledger.acked.filter((a) => !ids.has(a.requestId)).map((a) => `${a.path}/${a.name}`);
}

interface AllocationView {
  metadata: { name: string; project?: string };
  spec: { node: string; gpus: { index: number; milli: number; mig?: { start: number; size: number } }[] };
  status?: { phase?: string };
}

/** GPUs (node/index) that active allocations hold more of than there is: whole-GPU shares over 1000 milli, or overlapping MIG slices. */
export async function doubleBookedGpus(s: ChaosServer): Promise<string[]> {
  const r = await s.call('GET', '/api/v1/allocations');
  if (r.status !== 200) throw new Error(`GET /api/v1/allocations: ${r.status} ${JSON.stringify(r.body)}`);
  const active = (r.body.items as AllocationView[]).filter((a) => (ACTIVE_ALLOCATION_PHASES as readonly string[]).includes(a.status?.phase ?? 'Bound'));
  const milli = new Map<string, number>();
  const slices = new Map<string, number>();
  const bad = new Set<string>();
  for (const a of active) {
    for (const g of a.spec.gpus) {
      const gpu = `${a.spec.node}/${g.index}`;
      if (g.mig) {
        for (let i = g.mig.start; i < g.mig.start + g.mig.size; i++) {
          const key = `${gpu}/slice${i}`;
          slices.set(key, (slices.get(key) ?? 0) + 1);
          if (slices.get(key)! > 1) bad.add(gpu);
        }
        continue;
      }
      milli.set(gpu, (milli.get(gpu) ?? 0) + g.milli);
      if (milli.get(gpu)! > 1000) bad.add(gpu);
    }
  }
  return [...bad].sort();
}
