// Volumes: where a project's data already is (model/kinds/volume.ts). Admission checks a Volume's
// own fields and that a workload mounts only Volumes of its project; the scheduling picture keeps
// every Volume (VolumeView) so a gang is placed only on nodes that have all of its volumes, and
// placement copies each mount's host path onto the Allocation's task.
import { ValidationError, type FieldIssue } from '../model/errors.js';
import type { VolumeMount } from '../model/container.js';
import type { Resource, ResourceInput } from '../model/metadata.js';
import type { VolumeSpec } from '../model/kinds/volume.js';
import type { StoreTx } from '../store/types.js';
import type { VolumePlacement } from '../scheduler/types.js';
import { checkDataClassName, checkSitesExist } from './data-class-admission.js';

export async function admitVolume(tx: StoreTx, input: ResourceInput, old: Resource | undefined): Promise<void> {
  const spec = input.spec as VolumeSpec;
  const before = old?.spec as VolumeSpec | undefined;
  if (spec.type === 'hostPath' && !spec.nodes) throw ValidationError.field('spec.nodes', 'is required for a hostPath volume: the nodes that hold the directory');
  if (spec.type === 'shared' && !spec.sites) throw ValidationError.field('spec.sites', 'is required for a shared volume: the sites whose nodes all mount it');
  if (spec.type === 'hostPath' && spec.sites) throw ValidationError.field('spec.sites', 'applies only to a shared volume; a hostPath volume lists its nodes');
  if (spec.type === 'shared' && spec.nodes) throw ValidationError.field('spec.nodes', 'applies only to a hostPath volume; a shared volume lists its sites');
  await checkSitesExist(tx, 'spec.sites', spec.sites, before?.sites);
  await checkDataClassName(tx, spec.dataClass);
}

/** Every mounted Volume exists in the workload's project. */
export async function checkVolumeMounts(tx: StoreTx, project: string, mounts: VolumeMount[] | undefined): Promise<void> {
  const issues: FieldIssue[] = [];
  for (const [i, m] of (mounts ?? []).entries()) {
    if (!(await tx.get({ kind: 'Volume', project, name: m.name }))) issues.push({ field: `spec.volumeMounts.${i}.name`, message: `Volume "${m.name}" does not exist in project "${project}"` });
  }
  if (issues.length > 0) throw new ValidationError(issues.map((x) => `${x.field}: ${x.message}`).join('; '), issues);
}

/** Every project's Volumes, folded from the store's objects. */
export class VolumeView {
  private readonly volumes = new Map<string, VolumeSpec>();

  apply(type: string, o: Resource): boolean {
    const key = `${o.metadata.project ?? ''}/${o.metadata.name}`;
    if (type === 'DELETED') return this.volumes.delete(key);
    this.volumes.set(key, o.spec as VolumeSpec);
    return true;
  }

  get(project: string, name: string): VolumeSpec | undefined {
    return this.volumes.get(`${project}/${name}`);
  }

  /** Where each mounted volume is, for the scheduler; a deleted one is nowhere. */
  placementOf(project: string, mounts: readonly VolumeMount[] | undefined): VolumePlacement[] | undefined {
    if (!mounts || mounts.length === 0) return undefined;
    return mounts.map((m) => {
      const v = this.get(project, m.name);
      return { name: m.name, nodes: v?.type === 'hostPath' ? (v.nodes ?? []) : null, sites: v?.type === 'shared' ? (v.sites ?? []) : v ? null : [] };
    });
  }
}

/** The task's mounts: each volume's host path, as the Volume says now. */
export function resolveMounts(project: string, mounts: readonly VolumeMount[] | undefined, view: Pick<VolumeView, 'get'>): { name: string; hostPath: string; mountPath: string; readOnly: boolean }[] | undefined {
  if (!mounts || mounts.length === 0) return undefined;
  return mounts.flatMap((m) => {
    const v = view.get(project, m.name);
    return v ? [{ name: m.name, hostPath: v.path, mountPath: m.mountPath, readOnly: m.readOnly === true }] : [];
  });
}
