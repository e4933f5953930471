// A daemon of ours by its pid: alive only if that pid still runs the command we started (its
// command line names our file), so a reused pid is never signalled.
import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';

export function processAlive(pid: number, marker: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').some((a) => a.includes(marker));
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL after 3 s; resolves once the process is gone. */
export async function stopProcess(pid: number): Promise<void> {
  const gone = (): boolean => {
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      return true;
    }
  };
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  for (let i = 0; i < 30 && !gone(); i++) await delay(100);
  if (!gone()) process.kill(pid, 'SIGKILL');
  for (let i = 0; i < 20 && !gone(); i++) await delay(50);
}
