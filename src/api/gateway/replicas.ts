// Which replicas of which Service the gateway may route to. Fed by an informer on Nodes, Services,
// Service Allocations and what residency is decided from; an allocation with status.endpoint that is Running and not asked to
// stop is probed (HTTP GET spec.readiness.path, first after initialDelaySeconds, then every
// periodSeconds) and is routable only after a probe succeeded, and only while its node's site is
// within the project's data residency (followed from Projects, DataClasses and Sites). An
// endpoint counts only when its host is the registered address of the allocation's Node: an
// agent (or whoever holds a node's credential) cannot point a tenant's traffic anywhere else.
// Every server replica keeps its own table, so any of them can route.
import { onAbort } from '../../model/abort.js';
import { residencyAllows } from '../../model/residency.js';
import type { ServiceSpec } from '../../model/kinds/service.js';
import type { Resource } from '../../model/metadata.js';
import { Informer } from '../../control/informer.js';
import type { Store, WatchEvent } from '../../store/types.js';
import { ResidencyView } from '../../control/residency.js';

export const DEFAULT_READINESS_PATH = '/';
const PROBE_TIMEOUT_MS = 2_000;
const SERVICE_ALLOCATIONS = 'weft.dev/workload-kind=Service';

export interface Replica {
  /** Allocation name. */
  name: string;
  replica: number;
  endpoint: string;
  ready: boolean;
  /** Passed a probe at least once: until then it counts as starting. */
  everReady: boolean;
  /** Requests proxied to it and not finished yet. */
  outstanding: number;
  /** Requests it has been given, ever (diagnostics). */
  served: number;
  /** Its node's site, once looked up (residency decides on it). */
  site?: string;
  timer?: NodeJS.Timeout;
  probing?: AbortController;
}

interface ServiceEntry {
  svc: Resource;
  replicas: Map<string, Replica>;
}

const key = (project: string, name: string): string => `${project}/${name}`;

/** The endpoint's host without IPv6 brackets, lower-cased; undefined when it is no http(s) origin. */
function endpointHost(endpoint: string): string | undefined {
  if (!/^https?:\/\/[^/]+$/.test(endpoint)) return undefined;
  try {
    return new URL(endpoint).hostname.replace(/^\[|\]$/g, '').toLowerCase();
  } catch {
    return undefined;
  }
}

/** Running, not asked to stop, with an http(s) endpoint: the endpoint (whatever its host). */
function runningEndpoint(a: Resource): string | undefined {
  const st = a.status ?? {};
  if (st.phase !== 'Running' || st.stopRequested || typeof st.endpoint !== 'string') return undefined;
  return st.endpoint.replace(/\/$/, '');
}

const nodeOf = (a: Resource): string | undefined => (a.spec as { node?: string }).node;

export class ReplicaTable {

  private readonly services = new Map<string, ServiceEntry>();
  /** Registered address of each Node, by name. */
  private readonly addresses = new Map<string, string>();
  /** Every Service allocation known, so a Node's new address can be applied to its replicas. */
  private readonly known = new Map<string, Resource>();
  /** Endpoints already reported as refused (allocation and endpoint), so each is logged once. */
  private readonly refused = new Set<string>();
  /** Allocations seen before their Service (watch order across kinds is not guaranteed). */
  private readonly orphans = new Map<string, Resource>();
  private readonly waiters = new Set<() => void>();
  private readonly abort = new AbortController();
  private readonly loops: Promise<void>[] = [];
  private readonly residency = new ResidencyView();

  constructor(
    private readonly store: Store,
    private readonly log: (msg: string) => void = () => undefined,
  ) {}

  /** Resolves once every Node, Service, replica and residency input has been read once. */
  async start(): Promise<void> {
    const informer = new Informer({
      store: this.store,
      // Nodes first: an endpoint is judged against its Node's registered address.
      sources: [{ kind: 'Node' }, { kind: 'Project' }, { kind: 'DataClass' }, { kind: 'Site' }, { kind: 'Service' }, { kind: 'Allocation', labelSelector: SERVICE_ALLOCATIONS }],
      // Only replicas that could take requests are kept; one that stops being one is DELETED.
      transform: (o) => (o.kind === 'Allocation' && !runningEndpoint(o) ? undefined : o),
      log: (m) => this.log(`gateway: ${m}`),
      onEvent: (ev) => {
        if (ev.type === 'SYNC') return;
        const e: WatchEvent = { type: ev.type, object: ev.object };
        if (ev.object.kind === 'Node') this.onNode(e);
        else if (ev.object.kind === 'Service') this.onService(e);
        else if (ev.object.kind === 'Allocation') this.onAllocation(e);
        else if (this.residency.apply(e.type, e.object)) this.notify();
      },
    });
    this.loops.push(informer.run(this.abort.signal));
    await informer.synced;
  }

  async stop(): Promise<void> {
    this.abort.abort();
    for (const e of this.services.values()) for (const r of e.replicas.values()) this.unprobe(r);
    for (const w of this.waiters) w();
    await Promise.allSettled(this.loops);
  }

  service(project: string, name: string): Resource | undefined {
    return this.services.get(key(project, name))?.svc;
  }

  replicas(project: string, name: string): Replica[] {
    return [...(this.services.get(key(project, name))?.replicas.values() ?? [])];
  }

  /** Replicas that may take a request: ready, and inside the project's data residency. */
  readyReplicas(project: string, name: string): Replica[] {
    return this.replicas(project, name).filter((r) => r.ready && this.resident(project, r));
  }

  /** Ready replicas the project's data residency keeps requests away from (they run outside it). */
  outsideResidency(project: string, name: string): { count: number; rule: string } {
    return { count: this.replicas(project, name).filter((r) => r.ready && !this.resident(project, r)).length, rule: this.residency.residency(project).rule };
  }

  private resident(project: string, r: Replica): boolean {
    return residencyAllows(this.residency.residency(project), r.site);
  }

  /** Resolves when any replica's readiness changes, or after `ms`, or when `signal` aborts. */
  changed(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(t);
        this.waiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.waiters.add(done);
      if (signal) onAbort(signal, done);
    });
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }

  /** Running, not asked to stop, with an http(s) endpoint on its Node's registered address. */
  private routableEndpoint(a: Resource): string | undefined {
    const endpoint = runningEndpoint(a);
    if (endpoint === undefined) return undefined;
    const host = endpointHost(endpoint);
    if (host === undefined) return undefined;
    const node = nodeOf(a);
    const registered = node !== undefined ? this.addresses.get(node) : undefined;
    if (host !== registered) {
      const seen = `${a.metadata.project}/${a.metadata.name} ${endpoint}`;
      if (this.refused.has(seen)) return undefined;
      this.refused.add(seen);
      this.log(`gateway: not routing to ${endpoint} (allocation ${a.metadata.project}/${a.metadata.name}): not on node ${node ?? '?'}'s registered address ${registered ?? '(none)'}`);
      return undefined;
    }
    return endpoint;
  }

  private onNode(ev: WatchEvent): void {
    const name = ev.object.metadata.name;
    const raw = ev.type === 'DELETED' ? undefined : ev.object.status?.address;
    const address = typeof raw === 'string' ? raw.replace(/^\[|\]$/g, '').toLowerCase() : undefined;
    if (address === this.addresses.get(name)) return; // heartbeats change nothing here
    if (address === undefined) this.addresses.delete(name);
    else this.addresses.set(name, address);
    for (const a of this.known.values()) if (nodeOf(a) === name) this.onAllocation({ type: 'MODIFIED', object: a });
  }

  private onService(ev: WatchEvent): void {
    const svc = ev.object;
    const k = key(svc.metadata.project ?? '', svc.metadata.name);
    const entry = this.services.get(k);
    if (ev.type === 'DELETED' || (entry && entry.svc.metadata.uid !== svc.metadata.uid)) {
      if (entry) for (const r of entry.replicas.values()) this.unprobe(r);
      entry?.replicas.clear();
      this.services.delete(k);
      if (ev.type === 'DELETED') return;
    }
    const kept = this.services.get(k);
    if (kept) kept.svc = svc;
    else this.services.set(k, { svc, replicas: new Map() });
    for (const [name, a] of this.orphans) {
      if (a.metadata.project === svc.metadata.project && (a.spec as { workload?: { uid?: string } }).workload?.uid === svc.metadata.uid) {
        this.orphans.delete(name);
        this.onAllocation({ type: 'MODIFIED', object: a });
      }
    }
  }

  private onAllocation(ev: WatchEvent): void {
    const a = ev.object;
    const project = a.metadata.project ?? '';
    const w = (a.spec as { workload?: { name?: string; uid?: string } }).workload;
    const orphanKey = key(project, a.metadata.name);
    if (ev.type === 'DELETED') {
      this.known.delete(orphanKey);
      for (const r of this.refused) if (r.startsWith(`${orphanKey} `)) this.refused.delete(r);
    } else this.known.set(orphanKey, a);
    const entry = w?.name ? this.services.get(key(project, w.name)) : undefined;
    if (!entry || entry.svc.metadata.uid !== w?.uid) {
      if (ev.type === 'DELETED' || a.status?.phase !== 'Running') this.orphans.delete(orphanKey);
      else this.orphans.set(orphanKey, a);
      return;
    }
    const endpoint = ev.type === 'DELETED' ? undefined : this.routableEndpoint(a);
    const old = entry.replicas.get(a.metadata.name);
    if (old && old.endpoint !== endpoint) {
      this.unprobe(old);
      entry.replicas.delete(a.metadata.name);
      if (old.ready) this.notify();
    }
    if (!endpoint || entry.replicas.has(a.metadata.name)) return;
    const r: Replica = { name: a.metadata.name, replica: (a.spec as { replica?: number }).replica ?? 0, endpoint, ready: false, everReady: false, outstanding: 0, served: 0 };
    entry.replicas.set(a.metadata.name, r);
    void this.locate(r, (a.spec as { node?: string }).node);
    const readiness = (entry.svc.spec as unknown as ServiceSpec).readiness;
    this.schedule(entry, r, (readiness?.initialDelaySeconds ?? 0) * 1000);
  }

  /** Looks up the replica's site (from its node) for the residency check. */
  private async locate(r: Replica, node: string | undefined): Promise<void> {
    if (!node) return;
    try {
      const n = await this.store.get({ kind: 'Node', name: node });
      r.site = String((n?.spec as { site?: string } | undefined)?.site ?? '');
      if (r.ready) this.notify();
    } catch (err) {
      this.log(`gateway: looking up node ${node}: ${(err as Error).message}`);
    }
  }

  private unprobe(r: Replica): void {
    clearTimeout(r.timer);
    r.probing?.abort();
    r.timer = undefined;
  }

  private schedule(entry: ServiceEntry, r: Replica, delayMs: number): void {
    r.timer = setTimeout(() => void this.probe(entry, r), delayMs);
    r.timer.unref?.();
  }

  private async probe(entry: ServiceEntry, r: Replica): Promise<void> {
    const readiness = (entry.svc.spec as unknown as ServiceSpec).readiness;
    const path = readiness?.path ?? DEFAULT_READINESS_PATH;
    const periodMs = (readiness?.periodSeconds ?? 10) * 1000;
    const ac = new AbortController();
    r.probing = ac;
    const timeout = setTimeout(() => ac.abort(), Math.min(PROBE_TIMEOUT_MS, periodMs));
    let ok: boolean;
    try {
      const res = await fetch(r.endpoint + (path.startsWith('/') ? path : `/${path}`), { signal: ac.signal, redirect: 'manual' });
      await res.body?.cancel();
      ok = res.status >= 200 && res.status < 400;
    } catch {
      ok = false;
    } finally {
      clearTimeout(timeout);
    }
    // Removed while probing (stopped, deleted): forget the result.
    if (entry.replicas.get(r.name) !== r || this.abort.signal.aborted) return;
    if (ok) r.everReady = true;
    if (ok !== r.ready) {
      r.ready = ok;
      this.notify();
    }
    this.schedule(entry, r, periodMs);
  }
}
