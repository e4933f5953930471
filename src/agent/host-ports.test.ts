import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './launch.js';
import { declaredPortProblem, portInUse } from './host-ports.js';

describe('ports a container declares on the host network', () => {
  let held: Server;
  let taken = 0;
  beforeAll(async () => {
    held = createServer();
    await new Promise<void>((r) => held.listen(0, '127.0.0.1', r));
    taken = (held.address() as { port: number }).port;
  });
  afterAll(() => new Promise((r) => held.close(r)));

  it('finds a port something on the host listens on, even on loopback only', async () => {
    expect(await portInUse(taken)).toBe(true);
    expect(await portInUse(await freePort())).toBe(false);
  });

  it('names the declared port that is taken, and says why ports matter here', async () => {
    const free = await freePort();
    expect(await declaredPortProblem([{ containerPort: free }], 'n1')).toBeUndefined();
    expect(await declaredPortProblem([{ containerPort: free }, { containerPort: taken, protocol: 'TCP' }], 'n1')).toBe(
      `spec.ports[1]: port ${taken}/TCP is already in use on node n1 (containers share the host's network, so each replica on a node needs ports of its own)`,
    );
  });
});
