// What the VM pages show of a VirtualMachine, from whatever its status has: project-network
// addresses (status.addresses), the addresses the guest reported, the forwarded SSH port.
import type { Resource } from '../../src/model/metadata.js';
import { obj, spec, status, str } from './format.js';

/** Every address the status holds, "—" shown by the caller when none. */
export function vmAddresses(vm: Resource): string[] {
  const st = status(vm);
  const out: string[] = [];
  for (const a of Array.isArray(st.addresses) ? st.addresses.map(obj) : []) {
    const ip = str(a.ip);
    if (ip) out.push(a.network ? `${ip} (${String(a.network)})` : ip);
  }
  for (const ip of Array.isArray(st.ipAddresses) ? st.ipAddresses : []) {
    if (typeof ip === 'string' && !out.some((o) => o === ip || o.startsWith(`${ip} `))) out.push(ip);
  }
  const ssh = str(st.sshAddress);
  if (ssh) out.push(`ssh ${ssh}`);
  return out;
}

export function vcpus(vm: Resource): string {
  return str(obj(spec(vm).resources).cpu) ?? String(obj(spec(vm).resources).cpu ?? '1');
}

export function memory(vm: Resource): string {
  return str(obj(spec(vm).resources).memory) ?? '1Gi';
}
