// Pulls against a real Podman and a registry on loopback: replicas that want one image at once
// share one pull, a pull made with one login is not shared with another, and a refused pull is
// tried a bounded number of times, then fails with the registry's words.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImagePuller, ImagePullError, percentOf } from './image-pull.js';
import { buildTestImage, podmanMissing, pushImage, registryMissing, startTestPodman, startTestRegistry, TEST_IMAGE, type TestPodman, type TestRegistry } from './test-podman.js';

describe('percentOf', () => {
  it('counts bytes where the engine reports them, finished layers otherwise', () => {
    expect(percentOf([])).toBe(0);
    expect(percentOf([{ current: 50, total: 100, done: false }, { current: 0, total: 0, done: true }])).toBe(75);
    expect(percentOf([{ current: 0, total: 0, done: false }, { current: 0, total: 0, done: false }])).toBe(0);
  });
});

const why = podmanMissing() ?? registryMissing();
describe.skipIf(why !== undefined)(`image pulls${why ? ` (skipped: ${why})` : ''}`, () => {
  let podman: TestPodman;
  let registry: TestRegistry;
  let ref = '';
  beforeAll(async () => {
    podman = await startTestPodman();
    await buildTestImage(podman.docker);
    registry = await startTestRegistry();
    ref = await pushImage(podman.docker, TEST_IMAGE, registry, `weft/pull-${process.pid}:1`);
  }, 120_000);
  afterAll(async () => {
    await podman?.docker.getImage(ref).remove().catch(() => undefined);
    await registry?.close();
    await podman?.close();
  });

  it('one pull for replicas that ask at once; none when the image is there', async () => {
    let pulls = 0;
    const docker = podman.docker;
    const counted = Object.assign(Object.create(Object.getPrototypeOf(docker) as object) as typeof docker, docker, {
      pull: (...a: Parameters<typeof docker.pull>) => {
        pulls++;
        return docker.pull(...a);
      },
    });
    const puller = new ImagePuller(counted, { attempts: 1, backoffMs: 0 });
    const auth = { serveraddress: registry.address, username: registry.username, password: registry.password };
    await Promise.all([puller.ensure(ref, 'IfNotPresent', auth), puller.ensure(ref, 'IfNotPresent', auth), puller.ensure(ref, 'IfNotPresent', auth)]);
    expect(pulls).toBe(1);
    // Said so: the Node's image list is refreshed only after a pull.
    expect(await puller.ensure(ref, 'IfNotPresent', auth)).toBe(false);
    expect(pulls).toBe(1);
    await puller.ensure(ref, 'Always', auth);
    expect(pulls).toBe(2);
  }, 60_000);

  it('does not share a pull between logins, and gives up after the tries it was given', async () => {
    await podman.docker.getImage(ref).remove().catch(() => undefined);
    const puller = new ImagePuller(podman.docker, { attempts: 2, backoffMs: 100 });
    // Always: each asks the registry; were the wrong login's pull shared with the right one's, it would succeed.
    const good = puller.ensure(ref, 'Always', { serveraddress: registry.address, username: registry.username, password: registry.password });
    const bad = puller.ensure(ref, 'Always', { serveraddress: registry.address, username: registry.username, password: 'wrong' });
    await expect(good).resolves.toBe(true);
    const err = await bad.then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ImagePullError);
    expect((err as Error).message).toMatch(/unauthorized|authentication required/);
    expect((err as Error).message).toMatch(/\(after 2 tries\)$/);
  }, 60_000);
});
