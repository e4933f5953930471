// Admission of a VirtualMachine: what its schema cannot say (whole vCPUs, GPUs whole or MIG,
// isolation at least dedicated, one kind of attachment per NIC) and that its root disk's Image
// exists, in its project or public in weft-system, when the VM is created or points elsewhere;
// each Network it names is one of its own project's.
import { ValidationError, type FieldIssue } from '../model/errors.js';
import { vmSpecIssues, type VirtualMachineSpec } from '../model/kinds/virtual-machine.js';
import type { Resource, ResourceInput } from '../model/metadata.js';
import { SYSTEM_PROJECT } from '../model/kind-names.js';
import type { StoreTx } from '../store/types.js';
import { resolveImage } from './workloads/vm-image.js';
import { vmNetworkIssues } from './networks/admission.js';

export async function admitVirtualMachine(tx: StoreTx, project: string, input: ResourceInput, old: Resource | undefined): Promise<void> {
  const spec = input.spec as unknown as VirtualMachineSpec;
  const before = old?.spec as unknown as VirtualMachineSpec | undefined;
  const issues: FieldIssue[] = vmSpecIssues(spec);
  if (spec.rootDisk.image !== before?.rootDisk.image && !(await resolveImage(tx, project, spec.rootDisk.image))) {
    issues.push({ field: 'spec.rootDisk.image', message: `Image "${spec.rootDisk.image}" does not exist in project "${project}" and is not a public Image of ${SYSTEM_PROJECT}` });
  }
  issues.push(...(await vmNetworkIssues(tx, project, spec)));
  if (issues.length > 0) throw new ValidationError(issues.map((x) => `${x.field}: ${x.message}`).join('; '), issues);
}

/** An Image's own rule: only weft-system holds public Images. */
export function admitImage(project: string, spec: { public?: boolean; source?: { url?: string; upload?: boolean } }): void {
  if (spec.public === true && project !== SYSTEM_PROJECT) throw ValidationError.field('spec.public', `only Images of project ${SYSTEM_PROJECT} can be public`);
  if ((spec.source?.url === undefined) === (spec.source?.upload !== true)) throw ValidationError.field('spec.source', 'give exactly one of url (an http(s) URL the nodes download) or upload: true (weft image upload)');
}
