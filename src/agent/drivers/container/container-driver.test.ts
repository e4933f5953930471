// The container driver against the driver contract, with a real Podman service and an image
// built from scratch; skipped, saying why, only where Podman is not installed.
import { afterAll } from 'vitest';
import { describeDriverContract, type Program } from '../contract/driver-contract.js';
import { ContainerDriver } from './container-driver.js';
import { buildTestImage, podmanMissing, startTestPodman, TEST_IMAGE, type TestPodman } from './test-podman.js';

const missing = podmanMissing();
let podman: TestPodman | undefined;
if (!missing) {
  podman = await startTestPodman();
  await buildTestImage(podman.docker);
}
const OWNER = `contract-${process.pid}`;
afterAll(async () => {
  if (!podman) return;
  const left = await podman.docker.listContainers({ all: true, filters: { label: [`weft.dev/owner=${OWNER}`] } });
  for (const c of left) await podman.docker.getContainer(c.Id).remove({ force: true });
  await podman.close();
});

const sh = (script: string): Program => ({ image: TEST_IMAGE, command: ['sh', '-c', script] });
const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

describeDriverContract('container', {
  ...(missing ? { skip: missing } : {}),
  create: (state) => new ContainerDriver(state, { owner: OWNER, stateDir: state.root, socket: podman?.socket, pull: { attempts: 2, backoffMs: 200 } }),
  programs: {
    print: (lines, errLines) => sh([...lines.map((l) => `echo ${quote(l)}`), ...errLines.map((l) => `echo ${quote(l)} >&2`)].join('; ')),
    exit: (code) => sh(`exit ${code}`),
    // PID 1 gets no default signal handling: the trap is what ends it, as in a real image.
    sleep: () => sh(`trap 'echo terminating; exit 0' TERM; while true; do sleep 0.1; done`),
    ignoreTerm: () => sh(`trap '' TERM; echo ready; while true; do sleep 0.1; done`),
    printEnv: (names) => sh(names.map((n) => `echo "${n}=\${${n}}"`).join('; ')),
    printDevices: () => sh(`echo "$CUDA_VISIBLE_DEVICES" | tr , '\\n' | grep -v '^$' || true`),
    flood: (bytes) => sh(`head -c ${bytes} /dev/zero | tr '\\0' x`),
    missing: () => ({ image: 'localhost/weft-test/no-such-image:none', command: ['true'] }),
  },
});
