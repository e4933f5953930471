// The process driver against the driver contract, with the compiled supervisor and real
// processes; then what only a host process has (the agent's environment it may and may not see).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { StateDir } from '../../state.js';
import { describeDriverContract, type Program } from '../contract/driver-contract.js';
import { isAlive } from './proc.js';
import { ProcessDriver } from './process-driver.js';

const SUPERVISOR = resolve(fileURLToPath(new URL('../../../../dist/agent/drivers/process/supervisor.js', import.meta.url)));
if (!existsSync(SUPERVISOR)) throw new Error('dist/ is missing: these tests run the compiled supervisor; run `npm run build`');

const node = (script: string): Program => ({ command: [process.execPath, '-e', script] });

describeDriverContract('process', {
  create: (state) => new ProcessDriver(state, undefined, SUPERVISOR),
  programs: {
    print: (lines, errLines) => node(`process.stdout.write(${JSON.stringify(lines.map((l) => `${l}\n`).join(''))}); process.stderr.write(${JSON.stringify(errLines.map((l) => `${l}\n`).join(''))});`),
    exit: (code) => node(`process.exit(${code})`),
    sleep: () => node(`process.on('SIGTERM', () => { console.log('terminating'); process.exit(0); }); setInterval(() => {}, 1000);`),
    ignoreTerm: () => node(`process.on('SIGTERM', () => {}); console.log('ready'); setInterval(() => {}, 1000);`),
    printEnv: (names) => node(`for (const n of ${JSON.stringify(names)}) console.log(n + '=' + (process.env[n] ?? ''));`),
    printDevices: () => node(`for (const d of (process.env.CUDA_VISIBLE_DEVICES ?? '').split(',')) if (d) console.log(d);`),
    flood: (bytes) => node(`process.stdout.write('x'.repeat(${bytes}))`),
    missing: () => ({ command: ['/nonexistent/weft-no-such-program'] }),
  },
});

describe('process driver', () => {
  const dir = mkdtempSync(join(tmpdir(), 'weft-process-driver-'));
  const state = new StateDir(dir);
  const driver = new ProcessDriver(state, undefined, SUPERVISOR);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("passes PATH and HOME from the agent's environment, and nothing else of it", async () => {
    process.env.WEFT_SECRET_FOR_TEST = 'leak';
    const rec = { uid: 'env', project: 'p', allocation: 'a', workload: { kind: 'Job', name: 'w', uid: 'w' }, replica: 0, attempt: 0, createdAt: new Date().toISOString() };
    state.claim(rec);
    const script = `console.log([process.env.PATH === ${JSON.stringify(process.env.PATH)}, process.env.HOME === ${JSON.stringify(process.env.HOME)}, process.env.WEFT_SECRET_FOR_TEST ?? 'none'].join(' '))`;
    await driver.start({ uid: 'env', command: [process.execPath, '-e', script], env: {}, devices: [], limits: { cpuMilli: 0, memoryBytes: 0 }, maxLogBytes: 4096 });
    delete process.env.WEFT_SECRET_FOR_TEST;
    for (let i = 0; i < 200 && (await driver.inspect('env')).state !== 'exited'; i++) await new Promise((r) => setTimeout(r, 50));
    expect((await driver.readLog('env', 'stdout', 0, 4096)).toString()).toBe('true true none\n');
  });

  it('ends, and its supervisor with it, when the command exits without ever opening its output FIFOs', async () => {
    // QEMU writes its serial ports into FIFOs; one that fails before opening them must not leave
    // the supervisor waiting for a writer forever.
    const rec = { uid: 'fifo', project: 'p', allocation: 'a', workload: { kind: 'Job', name: 'w', uid: 'w' }, replica: 0, attempt: 0, createdAt: new Date().toISOString() };
    state.claim(rec);
    const replicaDir = state.replicaDir('fifo');
    const fifos = { stdout: join(replicaDir, 'console.fifo'), stderr: join(replicaDir, 'error.fifo') };
    execFileSync('mkfifo', [fifos.stdout, fifos.stderr]);
    await driver.startSupervised('fifo', { command: [process.execPath, '-e', 'process.exit(4)'], env: {}, maxLogBytes: 4096, limits: { cpuMilli: 0, memoryBytes: 0 }, fifos });
    for (let i = 0; i < 200 && (await driver.inspect('fifo')).state !== 'exited'; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await driver.inspect('fifo')).toMatchObject({ state: 'exited', exit: { code: 4 } });
    const sup = JSON.parse(readFileSync(join(replicaDir, 'supervisor.json'), 'utf8')) as { pid: number; startTime: string };
    for (let i = 0; i < 40 && isAlive(sup.pid, sup.startTime); i++) await new Promise((r) => setTimeout(r, 50));
    expect(isAlive(sup.pid, sup.startTime)).toBe(false);
  });

  it('cannot run without its supervisor, and says so', async () => {
    const broken = new ProcessDriver(state, undefined, join(dir, 'no-supervisor.js'));
    expect(await broken.probe()).toMatchObject({ available: false, reason: expect.stringContaining('supervisor') });
  });
});
