// Where a project's work may run: its own allowed countries and sites, intersected with those of
// its data class (docs/policy.md "Data classes and residency"). Computed here from the Project,
// its DataClass and the Sites, for admission (from a transaction) and for the scheduling loop and
// the gateway (from a view kept current by their watches).
import type { Resource } from '../model/metadata.js';
import type { DataClassSpec } from '../model/kinds/data-class.js';
import type { ProjectSpec } from '../model/kinds/project.js';
import type { SiteSpec } from '../model/kinds/site.js';
import { effectiveResidency, residencyAllows, type EffectiveResidency, type SiteCountry } from '../model/residency.js';
import type { NodeSpec } from '../model/kinds/node.js';
import type { StoreTx } from '../store/types.js';

/** The residency of a project with this spec, given its data class (if declared) and the sites. */
export function projectResidency(name: string, spec: ProjectSpec, dataClass: DataClassSpec | undefined, sites: readonly SiteCountry[]): EffectiveResidency {
  const holders = [];
  if (spec.dataClass !== undefined && dataClass) holders.push({ ...dataClass, label: `data class ${spec.dataClass}` });
  holders.push({ ...spec, label: `project ${name}` });
  return effectiveResidency(holders, sites);
}

const siteOf = (o: Resource): SiteCountry => {
  const country = (o.spec as SiteSpec).country;
  return country !== undefined ? { name: o.metadata.name, country } : { name: o.metadata.name };
};

/** Inside a transaction: the residency of `project` as it is now. */
export async function residencyIn(tx: StoreTx, name: string, spec: ProjectSpec): Promise<EffectiveResidency> {
  if (!spec.allowedCountries && !spec.allowedSites && spec.dataClass === undefined) return { sites: null, rule: '' };
  const dataClass = spec.dataClass !== undefined ? await tx.get({ kind: 'DataClass', name: spec.dataClass }) : undefined;
  const needSites = spec.allowedCountries !== undefined || (dataClass?.spec as DataClassSpec | undefined)?.allowedCountries !== undefined;
  const sites = needSites ? (await tx.list('Site')).items.map(siteOf) : [];
  return projectResidency(name, spec, dataClass?.spec as DataClassSpec | undefined, sites);
}

/** Projects, data classes and sites as a watch delivers them; answers residency per project. */
export class ResidencyView {
  private readonly projects = new Map<string, ProjectSpec>();
  private readonly classes = new Map<string, DataClassSpec>();
  private readonly sites = new Map<string, SiteCountry>();
  private readonly memo = new Map<string, EffectiveResidency>();

  /** Takes a change of a Project, DataClass or Site; true when some residency may have changed. */
  apply(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: Resource): boolean {
    const name = obj.metadata.name;
    const gone = type === 'DELETED';
    if (obj.kind === 'Project') {
      if (gone) this.projects.delete(name);
      else this.projects.set(name, obj.spec as ProjectSpec);
    } else if (obj.kind === 'DataClass') {
      if (gone) this.classes.delete(name);
      else this.classes.set(name, obj.spec as DataClassSpec);
    } else if (obj.kind === 'Site') {
      if (gone) this.sites.delete(name);
      else this.sites.set(name, siteOf(obj));
    } else return false;
    this.memo.clear();
    return true;
  }

  /** Where `project`'s work may run now (sites null = anywhere). */
  residency(project: string): EffectiveResidency {
    let r = this.memo.get(project);
    if (!r) {
      const spec = this.projects.get(project);
      r = spec ? projectResidency(project, spec, spec.dataClass !== undefined ? this.classes.get(spec.dataClass) : undefined, [...this.sites.values()]) : { sites: null, rule: '' };
      this.memo.set(project, r);
    }
    return r;
  }

  /** Whether `project`'s work may run at `site`. */
  allows(project: string, site: string): boolean {
    return residencyAllows(this.residency(project), site);
  }
}

/** Where one cycle's placement of a workload put it. */
export interface PlacedIn {
  project: string;
  nodes: readonly string[];
}

/**
 * For each placement, why it breaks its project's residency as stored now (undefined when it
 * does not). The scheduling loop decides from its picture; this, read in the commit's own
 * transaction, is the last word — as the GPU ledger is for double booking — so a picture that
 * was behind (a project restricted during the cycle) never puts work where it may not run.
 * Costs one read of the projects when none of them is restricted.
 */
export async function residencyBreaches(tx: StoreTx, placed: readonly PlacedIn[]): Promise<(string | undefined)[]> {
  const out: (string | undefined)[] = placed.map(() => undefined);
  const names = [...new Set(placed.map((p) => p.project))];
  if (names.length === 0) return out;
  const projects = await tx.getMany(names.map((name) => ({ kind: 'Project', name })));
  const rules = new Map<string, EffectiveResidency>();
  for (const [i, p] of projects.entries()) {
    if (!p) continue;
    const r = await residencyIn(tx, names[i]!, p.spec as ProjectSpec);
    if (r.sites !== null) rules.set(names[i]!, r);
  }
  if (rules.size === 0) return out;
  const nodeNames = [...new Set(placed.filter((p) => rules.has(p.project)).flatMap((p) => p.nodes))];
  const nodes = await tx.getMany(nodeNames.map((name) => ({ kind: 'Node', name })));
  const siteOfNode = new Map(nodeNames.map((n, i) => [n, (nodes[i]?.spec as NodeSpec | undefined)?.site]));
  for (const [i, p] of placed.entries()) {
    const rule = rules.get(p.project);
    if (!rule) continue;
    const outside = p.nodes.find((n) => !residencyAllows(rule, siteOfNode.get(n)));
    if (outside !== undefined) out[i] = `node ${outside} is not in a site data residency allows (${rule.sites!.join(', ') || 'none'}: ${rule.rule})`;
  }
  return out;
}
