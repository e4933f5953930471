// Admission of tenant Networks and of the VMs attached to them. Runs inside the write's
// transaction and the store serialises writes, so reading every Network's VNI (or the project's
// subnets) and writing the new one cannot race another create.
import { ConflictError, ValidationError, type FieldIssue } from '../../model/errors.js';
import { VNI_MAX, VNI_MIN, type NetworkSpec, type NetworkStatus } from '../../model/kinds/network.js';
import type { VirtualMachineSpec } from '../../model/kinds/virtual-machine.js';
import type { Resource, ResourceInput } from '../../model/metadata.js';
import { blocksOf, formatSubnet, MAX_PREFIX, MIN_PREFIX, overlaps, parseSubnet, type Subnet } from '../../model/subnet.js';
import type { StoreTx } from '../../store/types.js';

/** Where subnets come from when a Network names none (the server's --network-pool). */
export const DEFAULT_NETWORK_POOL = '10.128.0.0/16';
/** A defaulted subnet is a /24 (or the whole pool, when the pool is smaller). */
const DEFAULT_PREFIX = 24;

/** Fills in the subnet (create) and the VNI (status, create); refuses a subnet that changes. */
export async function admitNetwork(tx: StoreTx, input: ResourceInput, old: Resource | undefined, pool = DEFAULT_NETWORK_POOL): Promise<void> {
  const spec = input.spec as NetworkSpec;
  if (old) {
    const was = (old.spec as NetworkSpec).subnet;
    if (spec.subnet === undefined) spec.subnet = was;
    else if (spec.subnet !== was) throw ValidationError.field('spec.subnet', `cannot change (${String(was)}): VMs hold addresses in it; create another Network instead`);
    return;
  }
  const project = input.metadata.project ?? '';
  if (spec.subnet !== undefined) checkSubnet(spec.subnet);
  else spec.subnet = formatSubnet(await freeBlock(tx, project, pool));
  input.status = { vni: await freeVni(tx) } satisfies NetworkStatus;
}

function checkSubnet(cidr: string): Subnet {
  const s = parseSubnet(cidr);
  if (typeof s === 'string') throw ValidationError.field('spec.subnet', s);
  if (s.prefix < MIN_PREFIX || s.prefix > MAX_PREFIX) throw ValidationError.field('spec.subnet', `/${s.prefix} is outside /${MIN_PREFIX} to /${MAX_PREFIX}`);
  return s;
}

/** The first block of the pool no other Network of the project overlaps. */
async function freeBlock(tx: StoreTx, project: string, poolCidr: string): Promise<Subnet> {
  const pool = parseSubnet(poolCidr);
  if (typeof pool === 'string') throw new Error(`network pool: ${pool}`);
  const taken = (await tx.list('Network', { project })).items.flatMap((n) => {
    const s = parseSubnet(String((n.spec as NetworkSpec).subnet));
    return typeof s === 'string' ? [] : [s];
  });
  for (const b of blocksOf(pool, Math.max(DEFAULT_PREFIX, pool.prefix))) if (!taken.some((t) => overlaps(t, b))) return b;
  throw ValidationError.field('spec.subnet', `the server's pool ${poolCidr} has no free block left for project "${project}": give a subnet`);
}

/** The lowest VNI no Network of any project holds. */
async function freeVni(tx: StoreTx): Promise<number> {
  const used = new Set((await tx.list('Network')).items.map((n) => (n.status as Partial<NetworkStatus> | undefined)?.vni));
  for (let v = VNI_MIN; v <= VNI_MAX; v++) if (!used.has(v)) return v;
  throw new ConflictError(`every VXLAN network identifier (${VNI_MIN}-${VNI_MAX}) is in use`);
}

/**
 * Each `networks[].network` of a VM names a Network of the VM's own project. Only that project is
 * looked in, so another project's Network is "does not exist" like any other name.
 */
export async function vmNetworkIssues(tx: StoreTx, project: string, spec: VirtualMachineSpec): Promise<FieldIssue[]> {
  const issues: FieldIssue[] = [];
  const seen = new Set<string>();
  for (const [i, n] of (spec.networks ?? []).entries()) {
    if (n.network === undefined) continue;
    if (seen.has(n.network)) issues.push({ field: `spec.networks.${i}.network`, message: `Network "${n.network}" is listed twice` });
    seen.add(n.network);
    if (!(await tx.get({ kind: 'Network', project, name: n.network }))) issues.push({ field: `spec.networks.${i}.network`, message: `Network "${n.network}" does not exist in project "${project}"` });
  }
  return issues;
}

/** The VMs of the project attached to the Network, by name. */
export async function vmsOnNetwork(tx: StoreTx, project: string, network: string): Promise<string[]> {
  const { items } = await tx.list('VirtualMachine', { project });
  return items.filter((vm) => ((vm.spec as unknown as VirtualMachineSpec).networks ?? []).some((n) => n.network === network)).map((vm) => vm.metadata.name);
}

/** A Network is deleted only once no VM names it. */
export async function mustBeUnusedNetwork(tx: StoreTx, project: string, network: string): Promise<void> {
  const vms = await vmsOnNetwork(tx, project, network);
  if (vms.length > 0) throw new ConflictError(`Network "${network}" is used by VirtualMachines ${vms.map((v) => `"${v}"`).join(', ')}: delete them or detach them first`);
}
