// `weft console vm NAME`: the VM's serial console, interactive, over the API (a WebSocket the
// server joins to the node agent's). Ctrl-] leaves, as virsh console does.
import { Command } from 'commander';
import { openSocket, vmConsolePath } from '../../client/socket.js';
import { addScopeOptions, connect, projectOf, type ScopeOptions } from '../connect.js';
import { CliError } from '../errors.js';
import { findOne } from '../lookup.js';

const ESCAPE = 0x1d; // Ctrl-]

export function consoleCommand(): Command {
  const cmd = new Command('console').description('attach to a VirtualMachine\'s serial console (Ctrl-] leaves)').argument('<kind>', 'vm').argument('<name>', 'VirtualMachine name');
  addScopeOptions(cmd).action(async (kind: string, name: string, opts: ScopeOptions, self: Command) => {
    if (!['vm', 'vms', 'virtualmachine', 'virtualmachines'].includes(kind.toLowerCase())) throw new CliError(`kind: only a vm has a console, not "${kind}"`, 2);
    const { client, context } = connect(self);
    const vm = await findOne(client, 'VirtualMachine', name, projectOf(opts, context));
    const ws = await openSocket(client, vmConsolePath(vm.metadata.project ?? '', name));
    const stdin = process.stdin;
    if (stdin.isTTY) {
      stdin.setRawMode(true);
      console.error(`Connected to virtualmachine/${name}'s serial console; Ctrl-] leaves.`);
    }
    await new Promise<void>((done) => {
      stdin.on('data', (d: Buffer) => {
        if (stdin.isTTY && d.includes(ESCAPE)) ws.close();
        else ws.send(d);
      });
      stdin.on('end', () => ws.close());
      ws.on('message', (d: Buffer) => process.stdout.write(d));
      ws.on('close', () => done());
      ws.on('error', () => done());
    });
    if (stdin.isTTY) stdin.setRawMode(false);
    stdin.pause();
  });
  return cmd;
}
