// How GPUs reach a container: as CDI devices where the host has a CDI spec for the GPU kind,
// else only through NVIDIA_VISIBLE_DEVICES. A host with no GPU can still prove the CDI path: a
// spec for a test device kind whose devices only add a variable, which the engine injects when
// (and only when) it is asked for that device.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StateDir } from '../../state.js';
import { ContainerDriver } from './container-driver.js';
import { cdiKinds, gpuDevices } from './gpu-devices.js';
import { buildTestImage, podmanMissing, startTestPodman, TEST_IMAGE, type TestPodman } from './test-podman.js';

describe('gpu devices', () => {
  it('names CDI devices only for a kind the host has a spec for', () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-cdi-'));
    writeFileSync(join(dir, 'nvidia.yaml'), 'cdiVersion: "0.5.0"\nkind: "nvidia.com/gpu"\ndevices: []\n');
    writeFileSync(join(dir, 'notes.txt'), 'kind: not/a-spec\n');
    const kinds = cdiKinds([dir, join(dir, 'missing')]);
    rmSync(dir, { recursive: true });
    expect([...kinds]).toEqual(['nvidia.com/gpu']);
    expect(gpuDevices(['GPU-1', 'MIG-2'], 'nvidia.com/gpu', kinds)).toEqual([{ path: 'nvidia.com/gpu=GPU-1' }, { path: 'nvidia.com/gpu=MIG-2' }]);
    expect(gpuDevices(['GPU-1'], 'nvidia.com/gpu', new Set())).toEqual([]);
    expect(gpuDevices([], 'nvidia.com/gpu', kinds)).toEqual([]);
  });
});

// The engine reads CDI specs from /etc/cdi only, so this test writes one there (its own file,
// removed afterwards) for a device kind no real host has.
const missing = podmanMissing();
const KIND = `weft-test-${process.pid}.example/gpu`;
const CDI_DIR = '/etc/cdi';
const SPEC_FILE = `${CDI_DIR}/weft-test-${process.pid}.yaml`;
// A fresh host has no /etc/cdi at all (nothing installed a spec yet): made here, removed after.
let madeCdiDir = false;

describe.skipIf(missing !== undefined)(`CDI devices in a container${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let podman: TestPodman;
  const dir = mkdtempSync(join(tmpdir(), 'weft-cdi-driver-'));
  const state = new StateDir(dir);
  afterAll(async () => {
    rmSync(SPEC_FILE, { force: true });
    if (madeCdiDir) rmSync(CDI_DIR, { recursive: true, force: true });
    const left = await podman?.docker.listContainers({ all: true, filters: { label: [`weft.dev/owner=cdi-${process.pid}`] } }) ?? [];
    for (const c of left) await podman.docker.getContainer(c.Id).remove({ force: true });
    await podman?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('injects exactly the allocated devices when the host has a spec for the kind; otherwise only the variables', async () => {
    podman = await startTestPodman();
    await buildTestImage(podman.docker);
    if (!existsSync(CDI_DIR)) {
      mkdirSync(CDI_DIR, { recursive: true });
      madeCdiDir = true;
    }
    writeFileSync(SPEC_FILE, [
      'cdiVersion: "0.5.0"',
      `kind: "${KIND}"`,
      'devices:',
      ...['GPU-aaaa', 'GPU-bbbb', 'GPU-cccc'].flatMap((d) => [`  - name: "${d}"`, '    containerEdits:', `      env: ["WEFT_CDI_${d.slice(4).toUpperCase()}=injected"]`]),
    ].join('\n') + '\n');
    const run = async (driver: ContainerDriver, uid: string): Promise<string> => {
      state.claim({ uid, project: 'p', allocation: uid, workload: { kind: 'Job', name: 'w', uid: 'w' }, replica: 0, attempt: 0, createdAt: new Date().toISOString() });
      await driver.start({ uid, image: TEST_IMAGE, command: ['sh', '-c', 'env | grep -E "^(WEFT_CDI_|NVIDIA_VISIBLE)" | sort'], env: {}, devices: ['GPU-aaaa', 'GPU-cccc'], limits: { cpuMilli: 0, memoryBytes: 0 }, maxLogBytes: 4096 });
      for (let i = 0; i < 200 && (await driver.inspect(uid)).state !== 'exited'; i++) await new Promise((r) => setTimeout(r, 50));
      return (await driver.readLog(uid, 'stdout', 0, 4096)).toString();
    };
    const opts = { owner: `cdi-${process.pid}`, stateDir: dir, socket: podman.socket };
    const withCdi = new ContainerDriver(state, { ...opts, cdiKind: KIND, cdiDirs: ['/etc/cdi'] });
    expect(await run(withCdi, `cdi-${process.pid}`)).toBe('NVIDIA_VISIBLE_DEVICES=GPU-aaaa,GPU-cccc\nWEFT_CDI_AAAA=injected\nWEFT_CDI_CCCC=injected\n');
    const withoutSpec = new ContainerDriver(state, { ...opts, cdiKind: KIND, cdiDirs: [join(dir, 'no-specs')] });
    expect(await run(withoutSpec, `env-${process.pid}`)).toBe('NVIDIA_VISIBLE_DEVICES=GPU-aaaa,GPU-cccc\n');
  }, 60_000);
});
