// The NoCloud seed: an ISO 9660 volume labelled "cidata" holding meta-data (instance id,
// hostname, the owner's SSH keys), user-data (as the VM's spec gives it) and network-config;
// what cloud-init reads on first boot, made with Debian's genisoimage as cloud-localds does.
// One file is Weft's own: weft-env (the replica's WEFT_* variables and its GPU devices as
// CUDA_VISIBLE_DEVICES, shell-quoted, for a guest that wants them).
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SeedInput {
  instanceId: string;
  hostname: string;
  userData?: string;
  sshKeys?: string[];
  /** The replica's variables, GPU devices included (CUDA_VISIBLE_DEVICES, …). */
  env: Record<string, string>;
}

const quote = (v: string): string => `'${v.replace(/'/g, `'\\''`)}'`;

/** The seed's files, by name. */
export function seedFiles(s: SeedInput): Record<string, string> {
  const meta = [`instance-id: ${s.instanceId}`, `local-hostname: ${s.hostname}`];
  if (s.sshKeys?.length) meta.push('public-keys:', ...s.sshKeys.map((k) => `  - ${JSON.stringify(k)}`));
  return {
    'meta-data': `${meta.join('\n')}\n`,
    'user-data': s.userData ?? '#cloud-config\n{}\n',
    // Version 2 network config: DHCP on every virtio NIC.
    'network-config': 'version: 2\nethernets:\n  all:\n    match: { name: "e*" }\n    dhcp4: true\n',
    'weft-env': Object.entries(s.env).map(([k, v]) => `${k}=${quote(v)}\n`).join(''),
  };
}

/** Writes the seed ISO at `out` (a scratch folder beside it is removed afterwards). */
export function writeSeed(out: string, s: SeedInput): void {
  const dir = `${out}.d`;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  try {
    for (const [name, text] of Object.entries(seedFiles(s))) writeFileSync(join(dir, name), text, { mode: 0o600 });
    execFileSync('genisoimage', ['-quiet', '-output', out, '-volid', 'cidata', '-joliet', '-rock', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
