// Processes the Slurm test daemons start and leave: free loopback ports for them, a child stopped
// by PID, and the slurmstepd processes (and the job tasks under them) that slurmd forks and
// detaches, which outlive slurmd. Those are found by the config file in their environment (each
// test cluster has its own, in its own temporary directory), so nothing another test or another
// cluster started is touched.
import { type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise<ReturnType<typeof createServer>>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => resolve(s));
    })),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/** SIGTERM, then SIGKILL after 5 s; resolves when the child has exited. */
export async function stopChild(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  const exited = new Promise((r) => c.once('exit', r));
  c.kill('SIGTERM');
  const timer = setTimeout(() => c.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

interface Proc {
  pid: number;
  ppid: number;
  env: string;
}

function processes(): Proc[] {
  const out: Proc[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      // "pid (comm) state ppid …": comm may hold spaces and parentheses, so read after the last ")".
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      out.push({ pid, ppid, env: readFileSync(`/proc/${pid}/environ`, 'latin1') });
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return out;
}

/**
 * The processes a test cluster left running: every process whose environment names this
 * cluster's config (SLURM_CONF=conf: slurmstepd and what it runs inherit it from slurmd, which
 * the test started with it), and their descendants.
 */
export function leftBehind(conf: string): number[] {
  const all = processes();
  const marker = `SLURM_CONF=${conf}\0`;
  const found = new Set(all.filter((p) => p.env.includes(marker)).map((p) => p.pid));
  for (let grew = true; grew;) {
    grew = false;
    for (const p of all) {
      if (!found.has(p.pid) && found.has(p.ppid)) {
        found.add(p.pid);
        grew = true;
      }
    }
  }
  return [...found];
}

/** Ends what leftBehind(conf) finds: SIGTERM, then SIGKILL to whatever is still there after 2 s. */
export async function reapLeftBehind(conf: string): Promise<void> {
  const signal = (pids: number[], sig: NodeJS.Signals): void => {
    for (const pid of pids) {
      try {
        process.kill(pid, sig);
      } catch {
        // already gone
      }
    }
  };
  signal(leftBehind(conf), 'SIGTERM');
  for (let i = 0; i < 20; i++) {
    if (leftBehind(conf).length === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  signal(leftBehind(conf), 'SIGKILL');
}
