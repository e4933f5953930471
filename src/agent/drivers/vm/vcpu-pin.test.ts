// vCPU threads pinned one by one, on a real QEMU (stopped before the guest runs: -S), read back
// from /proc/<pid>/task/<tid>/status. Skipped only where QEMU or taskset is missing.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findTaskset } from './numa.js';
import { findQemu } from './qemu-binary.js';
import { qmp } from './qmp.js';
import { pinVcpus } from './vcpu-pin.js';

const qemu = findQemu();
const taskset = findTaskset();

describe.skipIf(!qemu || !taskset)('vCPU pinning', () => {
  const dir = mkdtempSync(join(tmpdir(), 'weft-vcpu-pin-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('moves each vCPU thread to the CPUs of its guest node', async () => {
    const sock = join(dir, 'qmp.sock');
    const vm = spawn(qemu!, ['-machine', 'q35,accel=tcg', '-smp', '2', '-m', '64M', '-nodefaults', '-display', 'none', '-S', '-qmp', `unix:${sock},server=on,wait=off`], { stdio: 'ignore' });
    try {
      const numa = [{ hostNode: 0, cpus: [0, 0] as [number, number], memoryMiB: 32 }, { hostNode: 1, cpus: [1, 1] as [number, number], memoryMiB: 32 }];
      // Two CPUs of this host stand for the two nodes' CPU lists.
      expect(await pinVcpus(sock, numa, ['0', '1'], taskset!)).toEqual({ 0: '0', 1: '1' });
      const threads = (await qmp(sock, 'query-cpus-fast')) as { 'cpu-index': number; 'thread-id': number }[];
      const allowed = (tid: number): string | undefined => /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync(`/proc/${vm.pid}/task/${tid}/status`, 'utf8'))?.[1];
      expect(threads.map((t) => [t['cpu-index'], allowed(t['thread-id'])])).toEqual([[0, '0'], [1, '1']]);
      // The other threads (main loop, I/O) keep the CPUs QEMU was started on.
      const others = readdirSync(`/proc/${vm.pid}/task`).map(Number).filter((t) => !threads.some((c) => c['thread-id'] === t));
      expect(others.length).toBeGreaterThan(0);
    } finally {
      vm.kill('SIGKILL');
    }
  });
});
