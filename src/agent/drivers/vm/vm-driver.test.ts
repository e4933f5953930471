// The vm driver against the driver contract with real QEMU (TCG is fine) and the test guest
// built here from Debian packages (test-guest.ts): each program is a user-data script the
// guest's init runs, stdout on the first serial port, stderr on the second, its exit status on
// the third; a stop is the ACPI power button. Skipped, saying which package is missing, only
// where QEMU or the guest's packages are not installed.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { VmTask } from '../../../model/kinds/virtual-machine.js';
import { StateDir } from '../../state.js';
import { describeDriverContract, type Program } from '../contract/driver-contract.js';
import { buildTestGuest, serveImages, testGuestMissing, type ImageServer } from './test-guest.js';
import { VmDriver } from './vm-driver.js';

const SUPERVISOR = resolve(fileURLToPath(new URL('../../../../dist/agent/drivers/process/supervisor.js', import.meta.url)));
if (!existsSync(SUPERVISOR)) throw new Error('dist/ is missing: these tests run the compiled supervisor; run `npm run build`');

const missing = testGuestMissing();
let server: ImageServer | undefined;
let image: VmTask['image'] = { name: 'guest', project: 'p', url: 'http://127.0.0.1:9/none', checksum: `sha256:${'0'.repeat(64)}`, format: 'raw' };
if (!missing) {
  const guest = buildTestGuest();
  server = await serveImages({ 'guest.raw': guest.disk });
  image = { name: 'guest', project: 'p', url: server.url('guest.raw'), checksum: guest.checksum, format: 'raw' };
}
afterAll(async () => server?.close());

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
const script = (body: string, img = image): Program => ({ command: [], vm: { image: img, hostname: 'contract', networks: [], userData: `#!/bin/sh\n${body}\n` } });

describeDriverContract('vm', {
  ...(missing ? { skip: missing } : {}),
  create: (state) => new VmDriver(state, { stateRoot: state.root, supervisorScript: SUPERVISOR }),
  // A TCG boot takes seconds on an idle machine, more on a loaded one.
  settleMs: 90_000,
  programs: {
    print: (lines, errLines) => script(`printf '%s' ${q(lines.map((l) => `${l}\n`).join(''))}\nprintf '%s' ${q(errLines.map((l) => `${l}\n`).join(''))} >&2`),
    exit: (code) => script(`exit ${code}`),
    sleep: () => script(`trap 'echo terminating; exit 0' TERM\nwhile :; do sleep 1 & wait $!; done`),
    ignoreTerm: () => script(`trap '' TERM\necho ready\nwhile :; do sleep 1 & wait $!; done`),
    printEnv: (names) => script(names.map((n) => `echo "${n}=\${${n}}"`).join('\n')),
    printDevices: () => script(`echo "$CUDA_VISIBLE_DEVICES" | tr ',' '\\n' | grep -v '^$' || true`),
    flood: (bytes) => script(`head -c ${bytes} /dev/zero | tr '\\0' x`),
    // An Image no server has (not in the cache either: another checksum).
    missing: () => script('exit 0', { ...image, checksum: `sha256:${'e'.repeat(64)}`, url: server ? server.url('no-such-disk.raw') : image.url }),
  },
});

describe.skipIf(missing !== undefined)('vm driver', () => {
  const dir = mkdtempSync(join(tmpdir(), 'weft-vm-driver-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses an image whose bytes do not match its checksum, and caches nothing', async () => {
    const state = new StateDir(dir);
    const driver = new VmDriver(state, { stateRoot: dir, supervisorScript: SUPERVISOR });
    const bad = { ...image, checksum: `sha256:${'f'.repeat(64)}` };
    state.claim({ uid: 'bad', project: 'p', allocation: 'bad', workload: { kind: 'VirtualMachine', name: 'v', uid: 'v' }, replica: 0, attempt: 0, createdAt: new Date().toISOString() });
    await driver.start({ uid: 'bad', command: [], vm: { image: bad, hostname: 'bad', networks: [] }, env: {}, devices: [], limits: { cpuMilli: 1000, memoryBytes: 256 << 20 }, maxLogBytes: 4096 });
    let st = await driver.inspect('bad');
    for (let i = 0; i < 200 && st.state !== 'exited'; i++) st = await new Promise((r) => setTimeout(r, 50)).then(() => driver.inspect('bad'));
    expect(st).toMatchObject({ state: 'exited', exit: { error: expect.stringContaining('checksum mismatch') } });
    expect(driver.images.cached(bad)).toBeUndefined();
  });
});
