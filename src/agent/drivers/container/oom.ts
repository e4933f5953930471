// Was a container killed for memory? Podman says so (State.OOMKilled) when conmon saw the
// kernel's OOM event; on a cgroup v1 host conmon may not see it (Podman 4.3 with runc here
// reports false for a container the kernel killed at its limit). The kernel itself logs every
// OOM kill with the memory cgroup it happened in, whose name carries the container's id:
//
//   oom-kill:constraint=CONSTRAINT_MEMCG,…,task_memcg=/libpod_parent/libpod-<id>,task=dd,pid=…
//
// so a container that ended by SIGKILL nobody asked for is looked up there.
import { closeSync, constants, openSync, readSync } from 'node:fs';

export const KERNEL_LOG = '/dev/kmsg';
/** Records read at most (the kernel's buffer holds far fewer). */
const MAX_RECORDS = 200_000;

/** True when `log` (kernel log text) has an OOM kill inside the memory cgroup of container `id`. */
export function oomKillIn(log: string, id: string): boolean {
  if (!/^[0-9a-f]{12,64}$/.test(id)) return false;
  return log.split('\n').some((line) => line.includes('oom-kill:') && new RegExp(`task_memcg=[^,]*${id}`).test(line));
}

/**
 * Reads the kernel log (/dev/kmsg hands out one record per read, and EAGAIN at its end; a
 * record overwritten meanwhile is EPIPE and skipped) and looks for an OOM kill of container `id`.
 * False when the log cannot be read (not root, no /dev/kmsg).
 */
export function kernelLogsOomKill(id: string, path = KERNEL_LOG): boolean {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return false;
  }
  const buf = Buffer.alloc(16 * 1024);
  let text = '';
  try {
    for (let i = 0; i < MAX_RECORDS; i++) {
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EPIPE') continue;
        break; // EAGAIN: the end of the log
      }
      if (n === 0) break; // a plain file (tests)
      const record = buf.toString('utf8', 0, n);
      // Only the lines that matter are kept: the log may be megabytes.
      if (record.includes('oom-kill:')) text += record.endsWith('\n') ? record : `${record}\n`;
    }
  } finally {
    closeSync(fd);
  }
  return oomKillIn(text, id);
}
