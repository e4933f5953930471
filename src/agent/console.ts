// The agent's half of a VM's interactive console (docs/vms.md, "Console"): when the server asks
// (status.consoleRequest on an Allocation of this node), dial back to the API with the node's
// credential and join that WebSocket to the VM's serial console socket. One attach per session.
import { connect } from 'node:net';
import { agentConsolePath, openSocket } from '../client/socket.js';
import type { WeftClient } from '../client/client.js';
import type { Resource } from '../model/metadata.js';
import type { DriverSet } from './drivers/driver-set.js';

interface ConsoleDriver {
  consoleSocket(uid: string): string;
}

export class ConsoleAttacher {
  private readonly served = new Set<string>();

  constructor(
    private readonly client: WeftClient,
    private readonly drivers: DriverSet,
    private readonly node: string,
    private readonly log: (msg: string) => void,
  ) {}

  /** Called with every Allocation the agent sees; attaches the console a new request asks for. */
  see(alloc: Resource): void {
    const req = alloc.status?.consoleRequest as { session?: string } | undefined;
    if (!req?.session || this.served.has(req.session) || (alloc.spec as { node?: string }).node !== this.node) return;
    this.served.add(req.session);
    const vm = this.drivers.get('vm') as unknown as ConsoleDriver | undefined;
    if (!vm) return;
    void this.attach(alloc, req.session, vm.consoleSocket(alloc.metadata.uid)).catch((err: unknown) => this.log(`console of ${alloc.metadata.name}: ${(err as Error).message}`));
  }

  private async attach(alloc: Resource, session: string, socketPath: string): Promise<void> {
    const ws = await openSocket(this.client, agentConsolePath(alloc.metadata.project ?? '', alloc.metadata.name, session));
    const serial = connect(socketPath);
    serial.on('data', (d) => ws.readyState === ws.OPEN && ws.send(d));
    ws.on('message', (d: Buffer) => serial.write(d));
    const end = (): void => {
      serial.destroy();
      ws.close();
    };
    serial.on('error', end);
    serial.on('close', end);
    ws.on('close', end);
    ws.on('error', end);
  }
}
