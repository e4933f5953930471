// The driver contract: what every Driver (process, container, vm) must do, written about
// behaviour. The driver under test supplies a harness saying how its kind expresses "print these
// lines", "exit 3", "sleep until stopped", … (argv for a process, image + command for a
// container, a guest script for a VM), and makes drivers over a state directory — a second one
// over the same directory is what a restarted agent sees.
//
//   describeDriverContract(processHarness)   // in drivers/process/process-driver.test.ts
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StateDir } from '../../state.js';
import type { Driver, DriverCapability, LogStream, ReplicaLaunch, ReplicaState } from '../driver.js';

/** What a replica runs, in the driver's own terms. */
export type Program = Pick<ReplicaLaunch, 'command' | 'image' | 'vm'>;

export interface DriverHarness {
  /** A driver over this state directory; called again with the same one to play an agent restart. */
  create(state: StateDir): Driver;
  /** Skips the suite, saying why (e.g. the host has no podman); probe() must then say unavailable. */
  skip?: string;
  /** How long this kind may take to come up or go down (a VM boots slower than a process). */
  settleMs?: number;
  programs: {
    /** Writes each line to stdout, then each errLine to stderr, and exits 0. */
    print(lines: string[], errLines: string[]): Program;
    exit(code: number): Program;
    /** Runs until stopped; on SIGTERM (or its kind's equivalent) prints "terminating" and exits 0. */
    sleep(): Program;
    /** Ignores SIGTERM: only a kill ends it. Prints "ready" once it ignores it. */
    ignoreTerm(): Program;
    /** Prints NAME=value for each variable, one a line (NAME= when unset). */
    printEnv(names: string[]): Program;
    /** Prints the GPU devices it can see, one a line. */
    printDevices(): Program;
    /** Writes this many bytes ("x" repeated) to stdout and exits 0. */
    flood(bytes: number): Program;
    /** Cannot even start (a program or image that does not exist). */
    missing(): Program;
  };
}

let seq = 0;
const uid = (): string => `contract-${process.pid}-${++seq}`;

export function describeDriverContract(name: string, h: DriverHarness): void {
  const settle = h.settleMs ?? 10_000;

  describe.skipIf(h.skip !== undefined)(`driver contract: ${name}${h.skip ? ` (skipped: ${h.skip})` : ''}`, () => {
    let dir: string;
    let state: StateDir;
    let driver: Driver;
    const started: string[] = [];

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), `weft-driver-${name}-`));
      state = new StateDir(dir);
      driver = h.create(state);
    });
    afterAll(async () => {
      for (const u of started) await driver.kill(u).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    });

    /** Claims a folder and starts a replica, as the agent does. */
    async function start(program: Program, extra: Partial<ReplicaLaunch> = {}): Promise<string> {
      const id = uid();
      state.claim({ uid: id, project: 'p', allocation: id, workload: { kind: 'Job', name: 'w', uid: 'w' }, replica: 0, attempt: 0, createdAt: new Date().toISOString() });
      started.push(id);
      await driver.start({ uid: id, ...program, env: {}, devices: [], limits: { cpuMilli: 100, memoryBytes: 256 << 20 }, maxLogBytes: 1 << 20, ...extra });
      return id;
    }

    async function waitFor(id: string, want: ReplicaState['state'], d = driver, ms = settle): Promise<ReplicaState> {
      const end = Date.now() + ms;
      for (;;) {
        const st = await d.inspect(id);
        if (st.state === want) return st;
        if (Date.now() > end) throw new Error(`${id}: still ${st.state} after ${ms} ms, waiting for ${want}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }

    async function exitOf(id: string, d = driver, ms = settle): Promise<{ code: number | null; signal: string | null; error?: string }> {
      const st = await waitFor(id, 'exited', d, ms);
      if (st.state !== 'exited') throw new Error('unreachable');
      return st.exit;
    }

    async function output(id: string, stream: LogStream = 'stdout', d = driver): Promise<string> {
      const parts: Buffer[] = [];
      for (let off = 0; ; ) {
        const buf = await d.readLog(id, stream, off, 4096);
        if (buf.length === 0) return Buffer.concat(parts).toString('utf8');
        parts.push(buf);
        off += buf.length;
      }
    }

    it('reports the host can run it', async () => {
      const cap: DriverCapability = await driver.probe();
      expect(cap).toMatchObject({ available: true });
    });

    it('runs a replica to its end: exit code 0, each stream kept apart and in order', async () => {
      const id = await start(h.programs.print(['one', 'two', 'three'], ['warn']));
      expect(await exitOf(id)).toMatchObject({ code: 0 });
      expect(await output(id)).toBe('one\ntwo\nthree\n');
      expect(await output(id, 'stderr')).toBe('warn\n');
    });

    it('reports a non-zero exit code as it is', async () => {
      const id = await start(h.programs.exit(3));
      expect(await exitOf(id)).toMatchObject({ code: 3, signal: null });
    });

    it('reads the output from any offset, so shipping can resume where the server stopped', async () => {
      const id = await start(h.programs.print(['alpha', 'beta'], []));
      await exitOf(id);
      expect((await driver.readLog(id, 'stdout', 6, 100)).toString()).toBe('beta\n');
      expect((await driver.readLog(id, 'stdout', 0, 3)).toString()).toBe('alp');
      expect((await driver.readLog(id, 'stdout', 11, 100)).length).toBe(0);
    });

    it('passes the environment it is given', async () => {
      const id = await start(h.programs.printEnv(['WEFT_WORKLOAD', 'LR']), { env: { WEFT_WORKLOAD: 'train', LR: '0.1' } });
      await exitOf(id);
      expect(await output(id)).toBe('WEFT_WORKLOAD=train\nLR=0.1\n');
    });

    it('shows the replica exactly its GPU devices, whatever its own environment says', async () => {
      const two = await start(h.programs.printDevices(), { devices: ['GPU-aaaa', 'GPU-bbbb'], env: { CUDA_VISIBLE_DEVICES: '0,1,2,3' } });
      const none = await start(h.programs.printDevices(), { env: { CUDA_VISIBLE_DEVICES: '0' } });
      await exitOf(two);
      await exitOf(none);
      expect(await output(two)).toBe('GPU-aaaa\nGPU-bbbb\n');
      expect(await output(none)).toBe('');
    });

    it('tells a time-sliced share its device and its fraction of it, over what its own environment says', async () => {
      const share = await start(h.programs.printEnv(['CUDA_VISIBLE_DEVICES', 'NVIDIA_VISIBLE_DEVICES', 'WEFT_GPU_SHARE']), { devices: ['GPU-aaaa'], gpuShare: 0.25, env: { WEFT_GPU_SHARE: '1' } });
      const whole = await start(h.programs.printEnv(['WEFT_GPU_SHARE']), { devices: ['GPU-aaaa', 'GPU-bbbb'] });
      await exitOf(share);
      await exitOf(whole);
      expect(await output(share)).toBe('CUDA_VISIBLE_DEVICES=GPU-aaaa\nNVIDIA_VISIBLE_DEVICES=GPU-aaaa\nWEFT_GPU_SHARE=0.25\n');
      expect(await output(whole)).toBe('WEFT_GPU_SHARE=1\n');
    });

    it('stops with grace: the replica is asked first and may finish cleanly', async () => {
      const id = await start(h.programs.sleep());
      await waitFor(id, 'running');
      await new Promise((r) => setTimeout(r, 300)); // let it install its handler
      await driver.stop(id, 10_000);
      expect(await exitOf(id)).toMatchObject({ code: 0 });
      expect(await output(id)).toContain('terminating');
    });

    it('kills a replica that ignores the stop once the grace is over, not before', async () => {
      const id = await start(h.programs.ignoreTerm());
      await waitFor(id, 'running');
      for (let i = 0; i < 100 && !(await output(id)).includes('ready'); i++) await new Promise((r) => setTimeout(r, 50));
      await driver.stop(id, 1500);
      await new Promise((r) => setTimeout(r, 500));
      expect((await driver.inspect(id)).state).toBe('running');
      expect(killed(await exitOf(id, driver, 1500 + settle))).toBe(true);
    });

    it('kill ends a replica at once', async () => {
      const id = await start(h.programs.sleep());
      await waitFor(id, 'running');
      await driver.kill(id);
      expect(killed(await exitOf(id))).toBe(true);
    });

    it('reports a replica that cannot start as ended with an error, never as running', async () => {
      const id = await start(h.programs.missing());
      const exit = await exitOf(id);
      expect(exit.error ?? (exit.code !== 0 ? `exit ${exit.code}` : undefined)).toBeTruthy();
    });

    it('keeps at most maxLogBytes of output per stream, then a marker', async () => {
      const id = await start(h.programs.flood(64 * 1024), { maxLogBytes: 1024 });
      expect(await exitOf(id)).toMatchObject({ code: 0 });
      const out = await output(id);
      expect(out.startsWith('x'.repeat(1024))).toBe(true);
      expect(out.slice(1024)).toMatch(/^\n\[weft: output truncated after 1024 bytes\]\n$/);
    });

    it('survives an agent restart: a new driver lists, inspects and stops what the old one started', async () => {
      const id = await start(h.programs.sleep());
      await waitFor(id, 'running');
      const again = h.create(state);
      expect(await again.list()).toContain(id);
      expect((await again.inspect(id)).state).toBe('running');
      await new Promise((r) => setTimeout(r, 300));
      await again.stop(id, 10_000);
      expect(await exitOf(id, again)).toMatchObject({ code: 0 });
      expect(await output(id, 'stdout', again)).toContain('terminating');
    });

    it('remembers how a replica ended while no agent was watching', async () => {
      const later = h.create(state);
      const id = await start(h.programs.exit(5));
      // Nobody inspects it until it is over; a fresh driver still knows its exit code.
      await new Promise((r) => setTimeout(r, 500));
      expect(await exitOf(id, later)).toMatchObject({ code: 5 });
    });

    it('forgets a replica once removed: no longer listed', async () => {
      const id = await start(h.programs.exit(0));
      await exitOf(id);
      expect(await driver.list()).toContain(id);
      await driver.remove(id);
      expect(await driver.list()).not.toContain(id);
    });
  });
}

/** Killed: a signal, or the 128+9 that container engines report for SIGKILL. */
function killed(exit: { code: number | null; signal: string | null }): boolean {
  return exit.signal === 'SIGKILL' || exit.code === 137;
}
