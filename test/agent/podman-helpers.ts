// For the container tests: stopping the Podman services agents started for themselves (they end
// by themselves when idle; a test does not wait for that), and a slow road to the registry.
import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import type { TestRegistry } from '../../src/agent/drivers/container/test-podman.js';
export { buildTestImage, pushImage, registryMissing, startTestRegistry, type TestRegistry } from '../../src/agent/drivers/container/test-podman.js';

const CERTS_D = '/etc/containers/certs.d';

export function stopPodmanServices(stateDir: string): void {
  try {
    const { pid } = JSON.parse(readFileSync(join(stateDir, 'podman-service.json'), 'utf8')) as { pid: number };
    process.kill(pid, 'SIGTERM');
  } catch {
    /* none started, or already gone */
  }
}

export interface SlowRoad {
  /** host:port on loopback that reaches the registry, each connection at most bytesPerSecond towards the client */
  address: string;
  close(): Promise<void>;
}

/**
 * A TCP relay on loopback in front of a test registry that hands out the registry's bytes at
 * `bytesPerSecond` per connection, so a pull of a few megabytes takes seconds, as over a real
 * network. TLS passes through untouched; Podman trusts the registry's certificate at this
 * address too.
 */
export async function startSlowRoad(registry: TestRegistry, bytesPerSecond: number): Promise<SlowRoad> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const [host, port] = registry.address.split(':') as [string, string];
    const upstream = connect(Number(port), host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    void (async () => {
      for await (const chunk of upstream as AsyncIterable<Buffer>) {
        if (!client.write(chunk)) await new Promise((r) => client.once('drain', r));
        await new Promise((r) => setTimeout(r, (chunk.length * 1000) / bytesPerSecond));
      }
      client.end();
    })().catch(() => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = `127.0.0.1:${(server.address() as { port: number }).port}`;
  mkdirSync(join(CERTS_D, address), { recursive: true });
  copyFileSync(join(CERTS_D, registry.address, 'ca.crt'), join(CERTS_D, address, 'ca.crt'));
  return {
    address,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
      rmSync(join(CERTS_D, address), { recursive: true, force: true });
    },
  };
}
