// Containers end to end on loopback: a real `weft up`, two real `weft agent --fake-gpus`
// processes, each running Podman's service itself, and an image built from scratch with
// busybox. Skipped, saying why, only where Podman is not installed.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WeftClient } from '../../src/client/index.js';
import { buildTestImage, podmanMissing, startTestPodman, TEST_IMAGE, type TestPodman } from '../../src/agent/drivers/container/test-podman.js';
import { assertBuilt, interrupt, ROOT, sandbox, weftUp, type Sandbox, type UpServer } from '../cli/helpers.js';
import { allocationsOf, joinToken, jobPhase, killHard, nodeOf, startAgent, until, type AgentProc } from './helpers.js';
import { createHash, randomBytes } from 'node:crypto';
import { pushImage, registryMissing, startTestRegistry, stopPodmanServices, type TestRegistry } from './podman-helpers.js';

const PROJECT = 'ctr';
const missing = podmanMissing();
const noRegistry = registryMissing();
const skippedBecause = noRegistry ? ` (skipped: ${noRegistry})` : '';
// Node names are unique per run: they label the containers on this host's one Podman.
const tag = String(process.pid % 100000);
const NODES = [`c1-${tag}`, `c2-${tag}`];

/** Exits 0 only when GPUs, identity and rendezvous are as torchrun expects; ranks talk over MASTER_PORT. */
const CHECK_ENV = `
fail() { echo "bad env: $1" >&2; exit 3; }
[ "$(echo "$CUDA_VISIBLE_DEVICES" | tr , '\\n' | grep -c '^GPU-')" = 8 ] || fail "CUDA_VISIBLE_DEVICES=$CUDA_VISIBLE_DEVICES"
[ "$NVIDIA_VISIBLE_DEVICES" = "$CUDA_VISIBLE_DEVICES" ] || fail NVIDIA_VISIBLE_DEVICES
[ "$WORLD_SIZE" = 2 ] && [ "$RANK" = "$WEFT_REPLICA" ] && [ "$LOCAL_RANK" = 0 ] || fail "WORLD_SIZE=$WORLD_SIZE RANK=$RANK"
[ "$MASTER_ADDR" = 127.0.0.1 ] || fail "MASTER_ADDR=$MASTER_ADDR"
[ "$WEFT_PROJECT" = ${PROJECT} ] && [ -n "$WEFT_NODE" ] || fail WEFT_PROJECT
[ "$(pwd)" = /work ] || fail "workingDir $(pwd)"
if [ "$RANK" = 0 ]; then
  # A connection that brings nothing (anything else on the host reaching the port) is not rank 1.
  for i in $(seq 1 10); do heard="$(nc -l -p "$MASTER_PORT" -w 20)"; [ -n "$heard" ] && break; done
  echo "rank 0 heard: $heard"
else
  # Sends until rank 0 stops listening: once a send went through, a refused one means it heard.
  sent=0
  for i in $(seq 1 100); do
    if echo "hello from rank 1" | nc "$MASTER_ADDR" "$MASTER_PORT"; then sent=1; elif [ $sent = 1 ]; then break; fi
    sleep 0.2
  done
  echo "rank 1 of $WORLD_SIZE ok on $WEFT_NODE"
fi`;

function job(name: string, replicas: number, script: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    apiVersion: 'weft/v1',
    kind: 'Job',
    metadata: { name, project: PROJECT },
    spec: { replicas, restartPolicy: 'Never', resources: { cpu: '100m', memory: '64Mi', gpu: { count: 8, models: ['H100-80GB'] } }, image: TEST_IMAGE, command: ['sh', '-c', script], ...extra },
  });
}

describe.skipIf(missing !== undefined)(`containers on node agents${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let box: Sandbox;
  let up: UpServer;
  let admin: WeftClient;
  let podman: TestPodman;
  let registry: TestRegistry | undefined;
  let remoteImage = '';
  const SECRET_VALUE = `s3cr3t-${randomBytes(8).toString('hex')}`;
  const agents = new Map<string, AgentProc>();
  /** Every agent, restarted ones too, mounts volumes from here. */
  let volumeRoot: string[] = [];

  const finished = (name: string, ms = 40_000): Promise<string> =>
    until(`job ${name} to finish`, async () => {
      const p = await jobPhase(admin, PROJECT, name);
      return ['Succeeded', 'Failed'].includes(p) ? p : undefined;
    }, ms);
  const containersOf = async (docker: Docker, uid: string): Promise<Docker.ContainerInfo[]> =>
    docker.listContainers({ all: true, filters: { label: [`weft.dev/allocation-uid=${uid}`] } });

  beforeAll(async () => {
    assertBuilt();
    podman = await startTestPodman();
    await buildTestImage(podman.docker);
    box = sandbox();
    up = await weftUp(box, '.weft');
    admin = new WeftClient({ server: up.url, token: up.token! });
    await admin.create({ apiVersion: 'weft/v1', kind: 'Project', metadata: { name: PROJECT }, spec: {} });
    if (!noRegistry) {
      registry = await startTestRegistry();
      remoteImage = await pushImage(podman.docker, TEST_IMAGE, registry, 'weft/busybox:1');
      const secret = (name: string, data: Record<string, string>, type = 'Opaque') => ({ apiVersion: 'weft/v1', kind: 'Secret', metadata: { name, project: PROJECT }, spec: { type, data } });
      await admin.create(secret('registry', { server: registry.address, username: registry.username, password: registry.password }, 'RegistryAuth'));
      await admin.create(secret('wrong-login', { server: registry.address, username: registry.username, password: 'not-the-password' }, 'RegistryAuth'));
      await admin.create(secret('app', { token: SECRET_VALUE }));
    }
    const tokens = await Promise.all(NODES.map(() => joinToken(box)));
    mkdirSync(join(box.dir, 'volumes', 'models'), { recursive: true });
    writeFileSync(join(box.dir, 'volumes', 'models', 'weights.txt'), 'the weights\n');
    volumeRoot = ['--volume-root', join(box.dir, 'volumes')];
    for (const a of await Promise.all(NODES.map((n, i) => startAgent(box, up.url, n, tokens[i], volumeRoot)))) agents.set(a.name, a);
  }, 120_000);

  afterAll(async () => {
    for (const a of agents.values()) await killHard(a.child);
    if (podman) {
      for (const node of NODES) {
        // One filter per node: several label filters must all match.
        const left = await podman.docker.listContainers({ all: true, filters: { label: [`weft.dev/owner=${node}`] } }).catch(() => []);
        for (const c of left) await podman.docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
      }
    }
    await podman?.docker.getImage('localhost/hello-busybox:1').remove().catch(() => undefined);
    for (const a of agents.values()) stopPodmanServices(a.stateDir);
    if (up) await interrupt(up.child);
    await registry?.close();
    if (remoteImage) await podman?.docker.getImage(remoteImage).remove().catch(() => undefined);
    await podman?.close();
    box?.cleanup();
  }, 60_000);

  it('reports on the Node that containers can run here, with the engine and what it works around', async () => {
    const node = await admin.get('Node', NODES[0]!);
    const container = (node.status!.drivers as Record<string, { available: boolean; version?: string; notes?: string[] }>).container!;
    expect(container).toMatchObject({ available: true, version: expect.stringMatching(/^podman \d/) });
    expect(container.notes!.join('\n')).toMatch(/runtime runc/);
  });

  it('runs a 2-replica gang from an image on two nodes: GPUs, identity and rendezvous set, ranks reach each other; weft logs shows it', async () => {
    const res = await box.weft(['apply', '-f', '-'], { input: job('gang', 2, CHECK_ENV, { workingDir: '/work', shmSize: '64Mi' }) });
    expect(res.code, res.stderr).toBe(0);
    const phase = await finished('gang');
    const allocs = await allocationsOf(admin, PROJECT, 'gang');
    const logsOf = async (r: number): Promise<string> => (await box.weft(['logs', 'gang', '--replica', String(r), '-p', PROJECT])).stdout;
    expect(phase, `${JSON.stringify(allocs.map((a) => a.status))}\n${await logsOf(0)}\n${await logsOf(1)}`).toBe('Succeeded');
    expect(allocs.map((a) => [a.status?.phase, a.status?.exitCode])).toEqual([['Succeeded', 0], ['Succeeded', 0]]);
    expect(new Set(allocs.map(nodeOf)).size).toBe(2);
    const logs = await until('logs of replica 0', async () => {
      const r = await box.weft(['logs', 'gang', '--replica', '0', '-p', PROJECT]);
      return r.code === 0 && /rank 0 heard/.test(r.stdout) ? r.stdout : undefined;
    }, 15_000, 500);
    expect(logs).toMatch(/rank 0 heard: hello from rank 1/);
  }, 60_000);

  it("runs the README's example: examples/containers, with the image it builds", async () => {
    await podman.docker.getImage(TEST_IMAGE).tag({ repo: 'localhost/hello-busybox', tag: '1' });
    for (const f of ['project.yaml', 'hello-job.yaml']) {
      const res = await box.weft(['apply', '-f', join(ROOT, 'examples/containers', f), ...(f === 'project.yaml' ? [] : ['-p', 'hello'])]);
      expect(res.code, res.stderr).toBe(0);
    }
    const phase = await until('hello-container to finish', async () => {
      const p = await jobPhase(admin, 'hello', 'hello-container');
      return ['Succeeded', 'Failed'].includes(p) ? p : undefined;
    }, 40_000);
    expect(phase).toBe('Succeeded');
    const out = (await box.weft(['logs', 'hello-container', '--replica', '1', '-p', 'hello'])).stdout;
    expect(out).toMatch(/^rank 1 of 2 on c\d-\d+ sees GPU GPU-\S+, master 127\.0\.0\.1:\d+$/m);
  }, 60_000);

  it('reports the exit code of the command in the container', async () => {
    expect((await box.weft(['apply', '-f', '-'], { input: job('exit3', 1, 'echo out; echo oops >&2; exit 3') })).code).toBe(0);
    expect(await finished('exit3')).toBe('Failed');
    const [a] = await allocationsOf(admin, PROJECT, 'exit3');
    expect(a!.status).toMatchObject({ phase: 'Failed', exitCode: 3, message: 'exited with code 3' });
  }, 50_000);

  it('a missing image is ImagePullFailed with the reason, after a bounded number of tries', async () => {
    const bad = JSON.stringify({ ...JSON.parse(job('noimage', 1, 'true')), spec: { ...JSON.parse(job('noimage', 1, 'true')).spec, image: 'localhost/weft-test/no-such-image:none' } });
    expect((await box.weft(['apply', '-f', '-'], { input: bad })).code).toBe(0);
    expect(await finished('noimage')).toBe('Failed');
    const [a] = await allocationsOf(admin, PROJECT, 'noimage');
    expect(a!.status).toMatchObject({ phase: 'Failed', reason: 'ImagePullFailed' });
    expect(a!.status!.message).toMatch(/^ImagePullFailed: .*localhost.*\(after 3 tries\)$/);
  }, 50_000);

  it('imagePullPolicy Never refuses an image the node does not have, saying so', async () => {
    const spec = { ...JSON.parse(job('never', 1, 'true')).spec, image: 'localhost/weft-test/not-here:1', imagePullPolicy: 'Never' };
    expect((await box.weft(['apply', '-f', '-'], { input: JSON.stringify({ ...JSON.parse(job('never', 1, 'true')), spec }) })).code).toBe(0);
    expect(await finished('never')).toBe('Failed');
    const [a] = await allocationsOf(admin, PROJECT, 'never');
    expect(a!.status!.message).toBe('ImagePullFailed: image "localhost/weft-test/not-here:1" is not on this node and imagePullPolicy is Never');
  }, 50_000);

  it('stops a container with its grace: SIGTERM reaches the command, the replica is Stopped', async () => {
    const script = `trap 'echo got SIGTERM; exit 0' TERM; echo up; while true; do sleep 0.1; done`;
    expect((await box.weft(['apply', '-f', '-'], { input: job('stopme', 1, script, { terminationGracePeriodSeconds: 20 }) })).code).toBe(0);
    await until('stopme running', async () => ((await allocationsOf(admin, PROJECT, 'stopme'))[0]?.status?.phase === 'Running' ? true : undefined), 30_000);
    expect((await box.weft(['suspend', 'stopme', '-p', PROJECT])).code).toBe(0);
    const [a] = await until('stopme stopped', async () => {
      const all = await allocationsOf(admin, PROJECT, 'stopme');
      return all[0]?.status?.phase === 'Stopped' ? all : undefined;
    }, 30_000);
    // The command's own trap ran (exit 0), rather than a kill (137) when the grace ran out.
    expect(a!.status).toMatchObject({ phase: 'Stopped', exitCode: 0 });
    const out = await until('SIGTERM in the logs', async () => {
      const r = await box.weft(['logs', 'stopme', '-p', PROJECT]);
      return /got SIGTERM/.test(r.stdout) ? r.stdout : undefined;
    }, 15_000, 500);
    expect(out).toMatch(/up\n[\s\S]*got SIGTERM/);
  }, 60_000);

  it('kill -9 of the agent: the restarted agent re-adopts the running container, never starts it twice, and removes one it does not own', async () => {
    expect((await box.weft(['apply', '-f', '-'], { input: job('adopt', 1, 'echo started; sleep 6; echo finished') })).code).toBe(0);
    const [alloc] = await until('adopt running', async () => {
      const a = await allocationsOf(admin, PROJECT, 'adopt');
      return a[0]?.status?.phase === 'Running' ? a : undefined;
    }, 30_000);
    const agent = agents.get(nodeOf(alloc!))!;
    await killHard(agent.child);
    // A container of this node's that no record explains: the new agent must remove it.
    const stray = await podman.docker.createContainer({ Image: TEST_IMAGE, Cmd: ['sleep', '60'], name: `weft-stray-${tag}`, Labels: { 'weft.dev/allocation-uid': `stray-${tag}`, 'weft.dev/owner': agent.name }, HostConfig: { NetworkMode: 'host' } });
    agents.set(agent.name, await startAgent(box, up.url, agent.name, undefined, volumeRoot));
    expect(await finished('adopt')).toBe('Succeeded');
    expect(await containersOf(podman.docker, alloc!.metadata.uid!)).toHaveLength(1);
    const logs = (await box.weft(['logs', 'adopt', '-p', PROJECT])).stdout;
    expect(logs.match(/started/g)).toHaveLength(1);
    expect(logs).toMatch(/finished/);
    expect(await podman.docker.getContainer(stray.id).inspect().then(() => 'still there', () => 'removed')).toBe('removed');
  }, 80_000);

  it.skipIf(noRegistry !== undefined)(`pulls from a registry with basic auth through imagePullSecrets; a Secret reaches the container and appears nowhere else${skippedBecause}`, async () => {
    if (!registry) throw new Error('unreachable: the registry starts whenever its tools are installed');
    const script = `echo "token sha $(printf %s "$APP_TOKEN" | sha256sum | cut -c1-16)"`;
    const spec = { ...JSON.parse(job('private', 1, script)).spec, image: remoteImage, imagePullSecrets: [{ name: 'registry' }], env: [{ name: 'APP_TOKEN', valueFrom: { secretKeyRef: { name: 'app', key: 'token' } } }] };
    expect((await box.weft(['apply', '-f', '-'], { input: JSON.stringify({ ...JSON.parse(job('private', 1, script)), spec }) })).code).toBe(0);
    const phase = await finished('private');
    const [a] = await allocationsOf(admin, PROJECT, 'private');
    expect(phase, JSON.stringify(a?.status)).toBe('Succeeded');
    const logs = (await box.weft(['logs', 'private', '-p', PROJECT])).stdout;
    expect(logs).toContain(`token sha ${createHash('sha256').update(SECRET_VALUE).digest('hex').slice(0, 16)}`);
    // Nowhere in what the API or the CLI shows: the workload, its allocation, the Secret, the audit log, the logs.
    const shown = await Promise.all([
      box.weft(['get', 'jobs', 'private', '-p', PROJECT, '-o', 'json']),
      box.weft(['get', 'allocations', '-p', PROJECT, '-o', 'json']),
      box.weft(['get', 'secrets', '-p', PROJECT, '-o', 'yaml']),
      box.weft(['describe', 'job', 'private', '-p', PROJECT]),
    ]);
    for (const r of shown) expect(r.stdout + r.stderr).not.toContain(SECRET_VALUE);
    expect(shown[2]!.stdout).toContain('token');
    const audit = await admin.request<unknown>('GET', '/api/v1/audit', { query: { limit: '1000' } });
    expect(JSON.stringify(audit)).not.toContain(SECRET_VALUE);
    expect(logs).not.toContain(SECRET_VALUE);
  }, 60_000);

  it.skipIf(noRegistry !== undefined)(`wrong registry credentials are ImagePullFailed with the registry's reason${skippedBecause}`, async () => {
    if (!registry) throw new Error('unreachable: the registry starts whenever its tools are installed');
    const spec = { ...JSON.parse(job('badlogin', 1, 'true')).spec, image: remoteImage, imagePullPolicy: 'Always', imagePullSecrets: [{ name: 'wrong-login' }] };
    expect((await box.weft(['apply', '-f', '-'], { input: JSON.stringify({ ...JSON.parse(job('badlogin', 1, 'true')), spec }) })).code).toBe(0);
    expect(await finished('badlogin')).toBe('Failed');
    const [a] = await allocationsOf(admin, PROJECT, 'badlogin');
    expect(a!.status).toMatchObject({ reason: 'ImagePullFailed' });
    expect(a!.status!.message).toMatch(/^ImagePullFailed: .*(unauthorized|authentication required).*\(after 3 tries\)$/);
    expect(a!.status!.message).not.toContain(registry.password);
  }, 50_000);

  it('mounts a Volume read-only, only on the node that holds it', async () => {
    const vol = { apiVersion: 'weft/v1', kind: 'Volume', metadata: { name: 'models', project: PROJECT }, spec: { type: 'hostPath', path: join(box.dir, 'volumes', 'models'), nodes: [NODES[1]] } };
    expect((await box.weft(['apply', '-f', '-'], { input: JSON.stringify(vol) })).code).toBe(0);
    const script = `cat /models/weights.txt; if touch /models/new 2>/dev/null; then echo "wrote"; else echo "read-only"; fi`;
    const spec = { ...JSON.parse(job('reader', 1, script)).spec, volumeMounts: [{ name: 'models', mountPath: '/models', readOnly: true }] };
    expect((await box.weft(['apply', '-f', '-'], { input: JSON.stringify({ ...JSON.parse(job('reader', 1, script)), spec }) })).code).toBe(0);
    const phase = await finished('reader');
    const [a] = await allocationsOf(admin, PROJECT, 'reader');
    expect(phase, `replica: ${JSON.stringify(a?.status)}; logs: ${(await box.weft(['logs', 'reader', '-p', PROJECT])).stdout}`).toBe('Succeeded');
    expect(nodeOf(a!)).toBe(NODES[1]);
    const out = (await box.weft(['logs', 'reader', '-p', PROJECT])).stdout;
    expect(out).toBe('the weights\nread-only\n');
    expect(readdirSync(join(box.dir, 'volumes', 'models'))).toEqual(['weights.txt']);
  }, 50_000);
});
