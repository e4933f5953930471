// Containers end to end, the rest of their life on one node: a real `weft up`, one real
// `weft agent --fake-gpus` on Podman, a busybox image built from scratch. A pull's progress (a
// sizeable image from a registry on loopback, reached through a slow relay so the pull takes
// seconds), a stop during that pull, the memory limit's OOM kill, a GPU share's variables, a
// declared port that is taken, and a Service from an image reached through the gateway.
// Skipped, saying why, only where Podman or the registry's tools are not installed.
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WeftClient } from '../../src/client/index.js';
import { freePort } from '../../src/agent/launch.js';
import { buildTestImage, podmanMissing, startTestPodman, TEST_IMAGE, type TestPodman } from '../../src/agent/drivers/container/test-podman.js';
import type { Resource } from '../../src/model/metadata.js';
import { assertBuilt, interrupt, sandbox, weftUp, type Sandbox, type UpServer } from '../cli/helpers.js';
import { allocationsOf, joinToken, jobPhase, killHard, startAgent, until, type AgentProc } from './helpers.js';
import { pushImage, registryMissing, startSlowRoad, startTestRegistry, stopPodmanServices, type SlowRoad, type TestRegistry } from './podman-helpers.js';

const PROJECT = 'life';
const missing = podmanMissing() ?? registryMissing();
const NODE = `l1-${process.pid % 100000}`;
const MiB = 1 << 20;
/** Layers that finish one after another through the relay: the pull takes ~12 s and its percentage moves. */
const LAYERS = [1 * MiB, 2 * MiB, 4 * MiB, 12 * MiB];
const ROAD_BYTES_PER_S = 1 * MiB;

const listedImages = (node: Resource): string[] => ((node.status?.images ?? []) as { names: string[] }[]).flatMap((i) => i.names);

function job(name: string, script: string, extra: Record<string, unknown> = {}, resources: Record<string, unknown> = {}): string {
  return JSON.stringify({
    apiVersion: 'weft/v1',
    kind: 'Job',
    metadata: { name, project: PROJECT },
    spec: { replicas: 1, restartPolicy: 'Never', resources: { cpu: '100m', memory: '64Mi', ...resources }, image: TEST_IMAGE, command: ['sh', '-c', script], ...extra },
  });
}

describe.skipIf(missing !== undefined)(`a container's life on a node agent${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let box: Sandbox;
  let up: UpServer;
  let admin: WeftClient;
  let podman: TestPodman;
  let registry: TestRegistry;
  let road: SlowRoad;
  let agent: AgentProc | undefined;
  const localLayered = `localhost/weft-test/layers-${process.pid}:1`;
  let slowImage = '';

  const finished = (name: string, ms = 40_000): Promise<string> =>
    until(`job ${name} to finish`, async () => {
      const p = await jobPhase(admin, PROJECT, name);
      return ['Succeeded', 'Failed'].includes(p) ? p : undefined;
    }, ms);
  const apply = async (manifest: string): Promise<void> => {
    const res = await box.weft(['apply', '-f', '-'], { input: manifest });
    expect(res.code, res.stderr).toBe(0);
  };
  const eventsOf = async (alloc: Resource): Promise<Resource[]> =>
    (await admin.list('Event', { project: PROJECT })).items.filter((e) => (e.spec.involvedObject as { name: string }).name === alloc.metadata.name);
  const imageHere = (ref: string): Promise<boolean> => podman.docker.getImage(ref).inspect().then(() => true, () => false);

  beforeAll(async () => {
    assertBuilt();
    podman = await startTestPodman();
    await buildTestImage(podman.docker);
    registry = await startTestRegistry();
    road = await startSlowRoad(registry, ROAD_BYTES_PER_S);
    // Pushed straight to the registry, pulled through the relay; no layer of it stays on the host.
    await buildTestImage(podman.docker, localLayered, 0, LAYERS);
    const pushed = await pushImage(podman.docker, localLayered, registry, 'weft/layers:1');
    await podman.docker.getImage(localLayered).remove();
    slowImage = pushed.replace(registry.address, road.address);
    box = sandbox();
    up = await weftUp(box, '.weft');
    admin = new WeftClient({ server: up.url, token: up.token! });
    await admin.create({ apiVersion: 'weft/v1', kind: 'Project', metadata: { name: PROJECT }, spec: {} });
    await admin.create({ apiVersion: 'weft/v1', kind: 'Secret', metadata: { name: 'slow-registry', project: PROJECT }, spec: { type: 'RegistryAuth', data: { server: road.address, username: registry.username, password: registry.password } } });
    agent = await startAgent(box, up.url, NODE, await joinToken(box));
  }, 180_000);

  afterAll(async () => {
    if (agent) await killHard(agent.child);
    if (podman) {
      const left = await podman.docker.listContainers({ all: true, filters: { label: [`weft.dev/owner=${NODE}`] } }).catch(() => []);
      for (const c of left) await podman.docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
      for (const ref of [slowImage, localLayered]) if (ref) await podman.docker.getImage(ref).remove({ force: true }).catch(() => undefined);
    }
    if (agent) stopPodmanServices(agent.stateDir);
    if (up) await interrupt(up.child);
    await road?.close();
    await registry?.close();
    await podman?.close();
    box?.cleanup();
  }, 60_000);

  it('lists the images on its host on its Node, largest first', async () => {
    const node = await until('images on the Node', async () => {
      const n = await admin.get('Node', NODE);
      return listedImages(n).includes(TEST_IMAGE) ? n : undefined;
    }, 15_000);
    const sizes = (node.status!.images as { sizeBytes: number }[]).map((i) => i.sizeBytes);
    expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
  });

  it('shows a pull in progress in the replica status and its events; a stop during the pull ends it then, and no container is made', async () => {
    await apply(job('slowpull', 'echo should never run', { image: slowImage, imagePullPolicy: 'Always', imagePullSecrets: [{ name: 'slow-registry' }] }));
    const [alloc] = await until('a pull progress message', async () => {
      const all = await allocationsOf(admin, PROJECT, 'slowpull');
      return /^Pulling image \d{1,2}%$/.test(String(all[0]?.status?.message)) ? all : undefined;
    }, 60_000, 100);
    const pulling = await until('a Pulling event', async () => (await eventsOf(alloc!)).find((e) => e.spec.reason === 'Pulling'), 10_000);
    expect(pulling.spec).toMatchObject({ type: 'Normal', source: 'node-agent' });
    expect(pulling.spec.message).toMatch(new RegExp(`^Pulling image \\d{1,3}% \\(${slowImage.replace(/[.]/g, '\\.')}\\)$`));

    expect((await box.weft(['suspend', 'slowpull', '-p', PROJECT])).code).toBe(0);
    const [stopped] = await until('slowpull stopped', async () => {
      const all = await allocationsOf(admin, PROJECT, 'slowpull');
      return all[0]?.status?.phase === 'Stopped' ? all : undefined;
    }, 30_000, 100);
    // Ended while the image was still on its way: the stop did not wait for the pull.
    expect(await imageHere(slowImage)).toBe(false);
    expect(stopped!.status).toMatchObject({ phase: 'Stopped' });
    // The pull runs on (other replicas may share it); once it is done, still no container.
    await until('the pull to finish', async () => ((await imageHere(slowImage)) ? true : undefined), 60_000, 200);
    // The Node lists the image it now holds (the scheduler prefers such nodes among equals).
    await until('the pulled image on the Node', async () => (listedImages(await admin.get('Node', NODE)).includes(slowImage) ? true : undefined), 15_000);
    await new Promise((r) => setTimeout(r, 2000)); // two reconcile passes
    const made = await podman.docker.listContainers({ all: true, filters: { label: [`weft.dev/allocation-uid=${alloc!.metadata.uid}`] } });
    expect(made).toEqual([]);
    expect((await box.weft(['logs', 'slowpull', '-p', PROJECT])).stdout).not.toContain('should never run');
  }, 120_000);

  it('a container that goes over its memory limit ends OOMKilled, said in its status and an event', async () => {
    // dd's 256 MiB block is memory it touches at once; exec: the container's own process is the one killed.
    await apply(job('hog', 'echo allocating; exec dd if=/dev/zero of=/dev/null bs=256M count=1'));
    expect(await finished('hog')).toBe('Failed');
    const [a] = await allocationsOf(admin, PROJECT, 'hog');
    expect(a!.status).toMatchObject({ phase: 'Failed', reason: 'OOMKilled', exitCode: 137 });
    expect(a!.status!.message).toMatch(/^OOMKilled: it went over its memory limit/);
    const warned = await until('an OOMKilled event', async () => (await eventsOf(a!)).find((e) => e.spec.reason === 'OOMKilled'), 10_000);
    expect(warned.spec.type).toBe('Warning');
    expect((await box.weft(['logs', 'hog', '-p', PROJECT])).stdout).toBe('allocating\n');
  }, 60_000);

  it('a GPU share sees its one GPU and its fraction of it', async () => {
    await apply(job('quarter', 'echo "$CUDA_VISIBLE_DEVICES|$NVIDIA_VISIBLE_DEVICES|$WEFT_GPU_SHARE"', {}, { gpu: { share: 0.25 } }));
    expect(await finished('quarter')).toBe('Succeeded');
    const out = (await box.weft(['logs', 'quarter', '-p', PROJECT])).stdout.trim();
    expect(out).toMatch(/^(GPU-[^,|]+)\|\1\|0\.25$/);
  }, 60_000);

  it('a declared port already in use on the node fails the replica, naming the field', async () => {
    const held: Server = createServer();
    await new Promise<void>((r) => held.listen(0, '127.0.0.1', r));
    const port = (held.address() as { port: number }).port;
    try {
      await apply(job('porty', 'echo should not start', { ports: [{ containerPort: port }] }));
      expect(await finished('porty')).toBe('Failed');
      const [a] = await allocationsOf(admin, PROJECT, 'porty');
      expect(a!.status!.message).toBe(`could not start: spec.ports[0]: port ${port}/TCP is already in use on node ${NODE} (containers share the host's network, so each replica on a node needs ports of its own)`);
    } finally {
      await new Promise((r) => held.close(r));
    }
  }, 60_000);

  it('serves a Service from an image through the gateway, on the port its image declares', async () => {
    const port = await freePort();
    const server = `mkdir -p /www; echo "hello from $WEFT_ALLOCATION on port $PORT" > /www/index.html; httpd -f -p "127.0.0.1:$PORT" -h /www & pid=$!; trap 'kill $pid; exit 0' TERM; wait`;
    await admin.create({
      apiVersion: 'weft/v1',
      kind: 'Service',
      metadata: { name: 'web', project: PROJECT },
      spec: { resources: { cpu: '100m', memory: '64Mi' }, image: TEST_IMAGE, command: ['sh', '-c', server], ports: [{ containerPort: port }], readiness: { path: '/', periodSeconds: 1 } },
    });
    const answer = await until('an answer through the gateway', async () => {
      const res = await fetch(`${up.url}/${PROJECT}/web/`, { headers: { authorization: `Bearer ${up.token}` }, signal: AbortSignal.timeout(10_000) });
      return res.status === 200 ? res.text() : undefined;
    }, 60_000, 500);
    const [a] = await allocationsOf(admin, PROJECT, 'web');
    expect(answer).toBe(`hello from ${a!.metadata.name} on port ${port}\n`);
    expect(a!.status!.endpoint).toBe(`http://127.0.0.1:${port}`);
    await admin.delete('Service', 'web', { project: PROJECT });
  }, 90_000);
});
