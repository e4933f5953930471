// The residency report (docs/policy.md "Proving residency"): for one project and a window, every
// GPU-second its work held and every node, site and country it ran in, from the usage ledger (the
// append-only records the database writes with each allocation change); every interval outside
// the project's residency flagged as a breach; and from the audit chain, the writes that could
// have changed the rules in the window (the Project, its DataClass, the Sites), with the chain's
// verification and head, so the report can be tied to the log it came from.
import type { AuditEntry, ResidencyBreach, ResidencyPlace, ResidencyReport } from '../model/audit.js';
import type { ProjectSpec } from '../model/kinds/project.js';
import { residencyAllows } from '../model/residency.js';
import { NotFoundError } from '../model/errors.js';
import type { Store, UsageInterval } from '../store/types.js';
import { gpuEquivalent, resourceKind } from './metering/pricing.js';
import { ResidencyView } from './residency.js';

const round = (x: number): number => Math.round(x * 1000) / 1000;
const AUDIT_PAGE = 1000;

/** GPU-seconds of one interval: whole-GPU equivalents × seconds, as metering counts them (0 for CPU and memory). */
function gpuSecondsOf(iv: UsageInterval): number {
  const kind = resourceKind(iv.resourceClass);
  return kind === 'gpu' || kind === 'share' || kind === 'mig' ? gpuEquivalent(iv) * ((iv.endMs - iv.startMs) / 1000) : 0;
}

async function auditOf(store: Store, project: string, dataClass: string | undefined, from: Date, to: Date): Promise<ResidencyReport['audit']> {
  let entries = 0;
  const ruleChanges: ResidencyReport['audit']['ruleChanges'] = [];
  let head: AuditEntry | undefined;
  // Everything since `from`, to the end of the log: the last page's last entry is the chain's head.
  for (let after: string | undefined; ; ) {
    const page = await store.audit.list({ since: from.toISOString(), limit: AUDIT_PAGE, ...(after ? { after } : {}) });
    for (const e of page) {
      head = e;
      if (Date.parse(e.time) >= to.getTime()) continue;
      const rule = (e.kind === 'Project' && e.name === project) || (e.kind === 'DataClass' && e.name === dataClass) || e.kind === 'Site';
      if (e.project !== project && !rule) continue;
      entries++;
      if (rule && e.verb !== 'create' && e.status < 300) ruleChanges.push({ id: e.id, time: e.time, principal: e.principal, verb: e.verb, kind: e.kind, name: e.name, hash: e.hash });
    }
    if (page.length < AUDIT_PAGE) break;
    after = page[page.length - 1]!.id;
  }
  head ??= await newestEntry(store);
  const v = await store.audit.verify();
  return {
    entries,
    ruleChanges,
    chain: { ok: v.ok, checked: v.checked, ...(head ? { headId: head.id, headHash: head.hash } : {}), ...(v.reason ? { reason: v.reason } : {}) },
  };
}

/** The newest audit entry, when none is newer than the window's start. */
async function newestEntry(store: Store): Promise<AuditEntry | undefined> {
  let last: AuditEntry | undefined;
  for (let after = '0'; ; ) {
    const page = await store.audit.list({ after, limit: AUDIT_PAGE });
    if (page.length > 0) last = page[page.length - 1];
    if (page.length < AUDIT_PAGE) return last;
    after = last!.id;
  }
}

export async function residencyReport(store: Store, project: string, from: Date, to: Date, now: Date): Promise<ResidencyReport> {
  const p = await store.get({ kind: 'Project', name: project });
  if (!p) throw new NotFoundError(`project "${project}" not found`);
  const view = new ResidencyView();
  const spec = p.spec as ProjectSpec;
  const [sites, classes] = await Promise.all([store.list('Site'), spec.dataClass !== undefined ? store.list('DataClass') : Promise.resolve({ items: [] })]);
  for (const o of [...sites.items, ...classes.items, p]) view.apply('ADDED', o);
  const residency = view.residency(project);
  const countryOf = new Map(sites.items.map((s) => [s.metadata.name, String((s.spec as { country?: string }).country ?? '')]));

  const intervals = await store.usage.intervals({ from, to, now, project });
  const nodes = new Map<string, ResidencyPlace>();
  const breaches = new Map<string, ResidencyBreach>();
  let total = 0;
  for (const iv of intervals) {
    const gpuSeconds = gpuSecondsOf(iv);
    const country = countryOf.get(iv.site) ?? '';
    const place = nodes.get(iv.node) ?? { node: iv.node, site: iv.site, country, gpuSeconds: 0 };
    place.gpuSeconds += gpuSeconds;
    nodes.set(iv.node, place);
    total += gpuSeconds;
    if (!residencyAllows(residency, iv.site)) {
      const b = breaches.get(iv.allocationUid) ?? {
        allocation: iv.allocation,
        workload: `${iv.workloadKind}/${iv.workloadName}`,
        node: iv.node,
        site: iv.site,
        country,
        start: new Date(iv.startMs).toISOString(),
        end: new Date(iv.endMs).toISOString(),
        open: iv.open,
        gpuSeconds: 0,
      };
      b.gpuSeconds += gpuSeconds;
      breaches.set(iv.allocationUid, b);
    }
  }
  const sum = <K extends string>(key: (x: ResidencyPlace) => K): Map<K, number> => {
    const m = new Map<K, number>();
    for (const x of nodes.values()) m.set(key(x), (m.get(key(x)) ?? 0) + x.gpuSeconds);
    return m;
  };
  const bySite = sum((x) => `${x.site}\u0000${x.country}`);
  const byCountry = sum((x) => x.country);
  const sorted = <T>(xs: T[], key: (x: T) => string): T[] => xs.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  return {
    project,
    from: from.toISOString(),
    to: to.toISOString(),
    generatedAt: now.toISOString(),
    residency: { sites: residency.sites, rule: residency.rule, ...(spec.dataClass !== undefined ? { dataClass: spec.dataClass } : {}) },
    gpuSeconds: round(total),
    byCountry: sorted([...byCountry].map(([country, g]) => ({ country, gpuSeconds: round(g) })), (x) => x.country),
    bySite: sorted([...bySite].map(([k, g]) => ({ site: k.split('\u0000')[0]!, country: k.split('\u0000')[1]!, gpuSeconds: round(g) })), (x) => x.site),
    byNode: sorted([...nodes.values()].map((x) => ({ ...x, gpuSeconds: round(x.gpuSeconds) })), (x) => x.node),
    breaches: sorted([...breaches.values()].map((b) => ({ ...b, gpuSeconds: round(b.gpuSeconds) })), (b) => `${b.start}${b.allocation}`),
    audit: await auditOf(store, project, spec.dataClass, from, to),
  };
}
