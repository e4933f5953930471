// Containers share the host's network (docs/containers.md, "Host networking"): a container's
// `ports` publish and remap nothing, they name ports it will listen on on the node itself. So
// before a replica starts, each must be free here; one that is not fails the replica with a
// reason naming the field, instead of a program that dies later with EADDRINUSE. (A port two
// replicas declare and neither has bound yet is not seen: the second one's program finds out.)
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import type { ContainerPort } from '../model/container.js';

/** True when this host cannot bind the port now (any address, IPv4 or IPv6 where there is one). */
export function portInUse(port: number, protocol: 'TCP' | 'UDP' = 'TCP'): Promise<boolean> {
  return new Promise((done) => {
    if (protocol === 'UDP') {
      const sock = createSocket('udp4');
      sock.once('error', () => done(true));
      sock.bind(port, () => sock.close(() => done(false)));
      return;
    }
    const srv = createServer();
    srv.once('error', () => done(true));
    srv.listen(port, () => srv.close(() => done(false)));
  });
}

/** Why the declared ports cannot be had on this node, or undefined when they all can. */
export async function declaredPortProblem(ports: readonly ContainerPort[] | undefined, node: string): Promise<string | undefined> {
  for (const [i, p] of (ports ?? []).entries()) {
    const protocol = p.protocol ?? 'TCP';
    if (await portInUse(p.containerPort, protocol)) {
      return `spec.ports[${i}]: port ${p.containerPort}/${protocol} is already in use on node ${node} (containers share the host's network, so each replica on a node needs ports of its own)`;
    }
  }
  return undefined;
}
