// Admission for data classes and residency (docs/policy.md "Data classes and residency"): a
// project names a data class that exists; its work runs at the class's isolation tier or a
// stronger one; and its placement is resolved into the sites its residency allows, or refused
// when none is left (rather than left pending forever).
import { ValidationError } from '../model/errors.js';
import type { Isolation } from '../model/common.js';
import type { DataClassSpec } from '../model/kinds/data-class.js';
import type { ProjectSpec } from '../model/kinds/project.js';
import { BUILTIN_DATA_CLASSES, isolationAtLeast } from '../model/residency.js';
import type { StoreTx } from '../store/types.js';
import { residencyIn } from './residency.js';
import type { WorkloadSpec } from './workload.js';

/** A Project's (or a data-holding object's) spec.dataClass names a built-in class or a DataClass. */
export async function checkDataClassName(tx: StoreTx, dataClass: string | undefined): Promise<void> {
  if (dataClass === undefined || (BUILTIN_DATA_CLASSES as readonly string[]).includes(dataClass)) return;
  if (!(await tx.get({ kind: 'DataClass', name: dataClass }))) {
    throw ValidationError.field('spec.dataClass', `data class "${dataClass}" does not exist (built in: ${BUILTIN_DATA_CLASSES.join(', ')}; others are DataClass objects)`);
  }
}

/** The isolation tier the project's data class asks for, if any. */
export async function isolationFloor(tx: StoreTx, project: ProjectSpec): Promise<{ tier: Isolation; dataClass: string } | undefined> {
  if (project.dataClass === undefined) return undefined;
  const dc = await tx.get({ kind: 'DataClass', name: project.dataClass });
  const tier = (dc?.spec as DataClassSpec | undefined)?.minIsolation;
  return tier ? { tier, dataClass: project.dataClass } : undefined;
}

/**
 * Raises a defaulted isolation tier to the data class's floor; refuses one the user asked for
 * that is weaker. `explicit` says whether spec.isolation came from the user.
 */
export function applyIsolationFloor(spec: WorkloadSpec, floor: { tier: Isolation; dataClass: string } | undefined, explicit: boolean): void {
  if (!floor) return;
  const gpu = spec.resources?.gpu;
  if (gpu && 'mig' in gpu && !isolationAtLeast('mig', floor.tier)) {
    throw ValidationError.field('spec.resources.gpu.mig', `data class "${floor.dataClass}" needs isolation ${floor.tier}: a MIG slice shares its GPU with other tenants; ask for whole GPUs`);
  }
  if (spec.isolation === undefined || isolationAtLeast(spec.isolation, floor.tier)) return;
  if (explicit) {
    throw ValidationError.field('spec.isolation', `data class "${floor.dataClass}" needs isolation ${floor.tier} or stronger, not ${spec.isolation}`);
  }
  spec.isolation = floor.tier;
}

/** Sites named anew (not already in `old`) must exist: work bound for a site that is not would wait forever. */
export async function checkSitesExist(tx: StoreTx, field: string, sites: readonly string[] | undefined, old: readonly string[] | undefined): Promise<void> {
  const missing: string[] = [];
  for (const site of new Set(sites ?? [])) {
    if (old?.includes(site)) continue;
    if (!(await tx.get({ kind: 'Site', name: site }))) missing.push(site);
  }
  if (missing.length > 0) throw ValidationError.field(field, `${missing.map((s) => `site "${s}"`).join(', ')} does not exist (see \`weft get sites\`)`);
}

/**
 * Sovereignty: the scheduler only knows sites, so the project's residency and any requested
 * countries are resolved here into spec.placement.sites. The scheduling loop also applies the
 * project's residency as it is at each cycle, so a later, stricter residency still holds for
 * work admitted before it.
 */
export async function resolvePlacement(tx: StoreTx, spec: WorkloadSpec, projectName: string, project: ProjectSpec): Promise<void> {
  const residency = await residencyIn(tx, projectName, project);
  const allowed = residency.sites;
  const asked = spec.placement?.sites;
  if (allowed && asked) {
    const bad = asked.filter((s) => !allowed.includes(s));
    if (bad.length > 0) {
      throw ValidationError.field('spec.placement.sites', `${bad.map((s) => `"${s}"`).join(', ')} not among the sites project "${projectName}" may use (${allowed.join(', ') || 'none'}: ${residency.rule})`);
    }
  }
  let sites = asked ?? allowed;
  const countries = spec.placement?.countries;
  if (countries && countries.length > 0) {
    const { items } = await tx.list('Site');
    const inCountries = items.filter((s) => countries.includes(String((s.spec as { country?: string }).country))).map((s) => s.metadata.name);
    sites = sites ? sites.filter((s) => inCountries.includes(s)) : inCountries;
    if (sites.length === 0) {
      throw ValidationError.field('spec.placement.countries', `no allowed site is in ${countries.join(', ')}`);
    }
  }
  if (sites && sites.length === 0) {
    throw ValidationError.field('spec.placement', `project "${projectName}" may run in no site: ${residency.rule}`);
  }
  if (sites) spec.placement = { ...spec.placement, sites: [...sites] };
}
