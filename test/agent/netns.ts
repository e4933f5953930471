// Two "nodes" on one machine for the tenant-network test: network namespaces joined by a veth
// pair whose underlay addresses exist only inside them. The server stays in the test's own
// namespace on loopback (so does the image server); each namespace reaches them through a
// forwarder on its own loopback that relays over a Unix socket (the filesystem is shared, the network is not), so no address or
// route is ever added outside the namespaces. Everything is removed by pid and by name.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { networkToolsMissing } from '../../src/agent/networks/host-commands.js';
import { waitForOutput, ROOT, type Sandbox } from '../cli/helpers.js';

const run = (args: string[]): void => {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
};

/** Why two namespaced nodes cannot be made here; undefined when they can. */
export function netnsMissing(): string | undefined {
  const tools = networkToolsMissing();
  if (tools) return tools;
  if (process.getuid?.() !== 0) return 'not running as root (network namespaces, bridges and VXLAN need CAP_NET_ADMIN)';
  const probe = `weft-probe-${process.pid}`;
  const r = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (r.status !== 0) return `ip netns add does not work here (${r.stderr.trim()}): a container needs CAP_SYS_ADMIN and CAP_NET_ADMIN`;
  spawnSync('ip', ['netns', 'del', probe]);
  return undefined;
}

export interface NsNode {
  name: string;
  ns: string;
  address: string;
}

/** Relays connections from a Unix socket to a loopback port (runs in the test process). */
function relay(socket: string, port: number): Promise<Server> {
  const server = createServer((c) => {
    const up = createConnection(port, '127.0.0.1');
    c.pipe(up).pipe(c);
    c.on('error', () => up.destroy());
    up.on('error', () => c.destroy());
  });
  return new Promise((done) => server.listen(socket, () => done(server)));
}

/** Inside a namespace: 127.0.0.1:PORT relayed to SOCKET, for each SOCKET=PORT argument. */
const FORWARDER = `const net = require('node:net');
for (const pair of process.argv.slice(1)) {
  const [sock, port] = pair.split('=');
  net.createServer((c) => { const u = net.connect(sock); c.pipe(u).pipe(c); c.on('error', () => u.destroy()); u.on('error', () => c.destroy()); }).listen(Number(port), '127.0.0.1');
}
console.log('forwarding');`;

export class TwoNodes {
  readonly nodes: NsNode[];
  private readonly children: ChildProcess[] = [];
  private readonly relays: Server[] = [];

  constructor(tag: string) {
    this.nodes = [1, 2].map((i) => ({ name: `${tag}-${i}`, ns: `weft-test-${tag}-${i}`, address: `172.31.250.${i}` }));
  }

  /** The namespaces, their veth pair (made inside them) and loopback. */
  create(): void {
    const [a, b] = this.nodes as [NsNode, NsNode];
    for (const n of this.nodes) run(['netns', 'add', n.ns]);
    run(['-n', a.ns, 'link', 'add', 'name', 'under0', 'type', 'veth', 'peer', 'name', 'under0', 'netns', b.ns]);
    for (const n of this.nodes) {
      run(['-n', n.ns, 'addr', 'add', `${n.address}/24`, 'dev', 'under0']);
      run(['-n', n.ns, 'link', 'set', 'dev', 'under0', 'up']);
      run(['-n', n.ns, 'link', 'set', 'dev', 'lo', 'up']);
    }
  }

  /** The test's loopback ports (the API, the image server) at the same ports on each namespace's loopback. */
  async forward(dir: string, ports: number[]): Promise<void> {
    const pairs = ports.map((p) => `${join(dir, `fwd-${p}.sock`)}=${p}`);
    for (const p of ports) this.relays.push(await relay(join(dir, `fwd-${p}.sock`), p));
    for (const n of this.nodes) {
      const child = spawn('ip', ['netns', 'exec', n.ns, process.execPath, '-e', FORWARDER, ...pairs], { stdio: ['ignore', 'pipe', 'pipe'] });
      this.children.push(child);
      await waitForOutput(child, /forwarding/, 10_000);
    }
  }

  /**
   * `weft agent` inside the node's network namespace, reaching the server through the forwarder.
   * nsenter enters the network namespace only (`ip netns exec` would also give it a mount
   * namespace of its own, hiding the namespaces it creates from everyone else, as no real node does).
   */
  async agent(box: Sandbox, node: NsNode, port: number, token?: string): Promise<{ child: ChildProcess; stateDir: string }> {
    const stateDir = join(box.dir, 'agents', node.name);
    const args = ['agent', '--server', `http://127.0.0.1:${port}`, '--name', node.name, '--state-dir', stateDir, '--address', node.address, '--heartbeat-interval', '1s', ...(token ? ['--token', token] : [])];
    const child = spawn('nsenter', [`--net=/run/netns/${node.ns}`, process.execPath, join(ROOT, 'bin', 'weft.js'), ...args], { cwd: box.dir, env: box.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.children.push(child);
    await waitForOutput(child, /Weft agent running as node/, 30_000);
    return { child, stateDir };
  }

  /** dnsmasq processes the agents started (found from their records), killed by pid. */
  static killDnsmasq(stateDir: string): void {
    const root = join(stateDir, 'networks');
    if (!existsSync(root)) return;
    for (const vni of readdirSync(root)) {
      try {
        const pid = Number(readFileSync(join(root, vni, 'dnsmasq.pid'), 'utf8').trim());
        if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(join(root, vni, 'dnsmasq.conf'))) process.kill(pid, 'SIGKILL');
      } catch {
        /* not running */
      }
    }
  }

  /** Kills what it started and deletes both namespaces and the agents' DHCP namespaces (their devices go with them). */
  remove(): void {
    for (const c of this.children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const r of this.relays) r.close();
    const names = existsSync('/run/netns') ? readdirSync('/run/netns') : [];
    for (const n of this.nodes) {
      for (const ns of names.filter((x) => x === n.ns || x.startsWith(`weft-${n.name}-`))) spawnSync('ip', ['netns', 'del', ns]);
    }
  }
}
