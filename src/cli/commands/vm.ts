// `weft start|stop|restart vm NAME` and `weft ssh vm NAME`: a VirtualMachine's power, as its
// runStrategy and two annotations say it (docs/vms.md), and SSH to its forwarded or routed
// address. The controller does the rest: ACPI power-down within the grace, then a hard stop.
import { spawn } from 'node:child_process';
import { Command } from 'commander';
import type { WeftClient } from '../../client/index.js';
import type { Resource } from '../../model/metadata.js';
import { setVmPower, type VmPower } from '../../client/vm-power.js';
import { addScopeOptions, connect, projectOf, type ScopeOptions } from '../connect.js';
import { CliError } from '../errors.js';
import { findOne } from '../lookup.js';

type Power = VmPower;

const DESCRIPTIONS: Record<Power, string> = {
  start: 'start a VirtualMachine (runStrategy Halted becomes Always; a stopped or failed VM boots again)',
  stop: 'power a VirtualMachine down (ACPI within its grace, then hard): runStrategy Halted, or power Off for Manual',
  restart: 'power a VirtualMachine down and boot it again',
};

function vmKind(kind: string): void {
  if (!['vm', 'vms', 'virtualmachine', 'virtualmachines'].includes(kind.toLowerCase())) throw new CliError(`kind: only a vm can be ${kind === 'ssh' ? 'reached' : 'powered'} this way, not "${kind}"`, 2);
}

function powerCommand(verb: Power): Command {
  const cmd = new Command(verb).description(DESCRIPTIONS[verb]).argument('<kind>', 'vm').argument('<name>', 'VirtualMachine name');
  addScopeOptions(cmd).action(async (kind: string, name: string, opts: ScopeOptions, self: Command) => {
    vmKind(kind);
    const { client, context } = connect(self);
    const vm = await findOne(client, 'VirtualMachine', name, projectOf(opts, context));
    if (!(await setVmPower(client, vm, verb))) {
      console.log(`virtualmachine/${name} already ${verb === 'stop' ? 'stopped' : 'running'}`);
      return;
    }
    console.log(`virtualmachine/${name} ${verb === 'stop' ? 'stopping' : verb === 'start' ? 'starting' : 'restarting'}`);
  });
  return cmd;
}

export const startVmCommand = (): Command => powerCommand('start');
export const stopVmCommand = (): Command => powerCommand('stop');
export const restartVmCommand = (): Command => powerCommand('restart');

/** Where SSH reaches the VM: its forwarded port (user-mode networking), else its first address. */
export function sshTarget(vm: Resource): { host: string; port?: number } {
  const st = vm.status ?? {};
  if (st.phase !== 'Running') throw new CliError(`virtualmachine/${vm.metadata.name} is ${String(st.phase ?? 'Pending')}, not Running`, 1);
  const fwd = typeof st.sshAddress === 'string' ? /^(.+):(\d+)$/.exec(st.sshAddress) : null;
  if (fwd) return { host: fwd[1]!, port: Number(fwd[2]) };
  const ip = Array.isArray(st.ipAddresses) ? st.ipAddresses.find((a): a is string => typeof a === 'string') : undefined;
  if (ip) return { host: ip };
  throw new CliError(`virtualmachine/${vm.metadata.name} has no reachable address yet`, 1);
}

export function sshCommand(): Command {
  const cmd = new Command('ssh')
    .description('ssh to a running VirtualMachine (its forwarded port, or its address on a project network)')
    .argument('<kind>', 'vm')
    .argument('<name>', 'VirtualMachine name')
    .argument('[ssh-args...]', 'more arguments for ssh, after --')
    .option('-l, --user <user>', 'the guest user to log in as');
  addScopeOptions(cmd).action(async (kind: string, name: string, extra: string[], opts: ScopeOptions & { user?: string }, self: Command) => {
    vmKind(kind);
    const { client, context } = connect(self);
    const vm = await findOne(client as WeftClient, 'VirtualMachine', name, projectOf(opts, context));
    const t = sshTarget(vm);
    const args = [...(t.port !== undefined ? ['-p', String(t.port)] : []), `${opts.user ? `${opts.user}@` : ''}${t.host}`, ...extra];
    const child = spawn('ssh', args, { stdio: 'inherit' });
    const code = await new Promise<number>((done) => {
      child.on('error', () => done(127));
      child.on('exit', (c) => done(c ?? 1));
    });
    if (code === 127) throw new CliError('ssh is not installed (apt-get install openssh-client)', 1);
    process.exitCode = code;
  });
  return cmd;
}
