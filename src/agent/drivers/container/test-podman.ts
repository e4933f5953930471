// For tests that run real containers: a Podman service of their own on a socket in a temporary
// folder, and a small image built from scratch with Debian's static busybox (no registry, no
// network). Nothing here is used by the agent itself.
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { findPodman } from './podman.js';

export const BUSYBOX = '/bin/busybox';
export const TEST_IMAGE = 'localhost/weft-test/busybox:1';

/** Why container tests cannot run here, or undefined when they can. */
export function podmanMissing(): string | undefined {
  if (!findPodman()) return 'podman is not installed (apt-get install podman runc)';
  if (!existsSync(BUSYBOX)) return `${BUSYBOX} is missing (apt-get install busybox-static)`;
  return undefined;
}

export interface TestPodman {
  socket: string;
  docker: Docker;
  close(): Promise<void>;
}

export async function startTestPodman(): Promise<TestPodman> {
  const dir = mkdtempSync(join(tmpdir(), 'weft-podman-'));
  const socket = join(dir, 'podman.sock');
  const child: ChildProcess = spawn(findPodman()!, ['system', 'service', '--time=0', `unix://${socket}`], { stdio: 'ignore' });
  const docker = new Docker({ socketPath: socket });
  for (let i = 0; ; i++) {
    try {
      await docker.ping();
      break;
    } catch (err) {
      if (i > 100 || child.exitCode !== null) throw new Error(`podman system service did not start: ${(err as Error).message}`, { cause: err });
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    socket,
    docker,
    close: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Builds TEST_IMAGE (busybox and its applets on PATH; no CMD) unless it is there already. */
export async function buildTestImage(docker: Docker, tag = TEST_IMAGE, extraBytes = 0): Promise<void> {
  try {
    await docker.getImage(tag).inspect();
    return;
  } catch {
    /* build it */
  }
  const ctx = mkdtempSync(join(tmpdir(), 'weft-image-'));
  try {
    copyFileSync(BUSYBOX, join(ctx, 'busybox'));
    const lines = ['FROM scratch', 'COPY busybox /bin/busybox', 'RUN ["/bin/busybox", "--install", "-s", "/bin"]', 'ENV PATH=/bin'];
    if (extraBytes > 0) {
      writeFileSync(join(ctx, 'payload'), Buffer.alloc(extraBytes, 7));
      lines.push('COPY payload /payload');
    }
    writeFileSync(join(ctx, 'Dockerfile'), lines.join('\n') + '\n');
    const stream = await docker.buildImage({ context: ctx, src: ['Dockerfile', 'busybox', ...(extraBytes > 0 ? ['payload'] : [])] }, { t: tag });
    await new Promise<void>((done, fail) => docker.modem.followProgress(stream, (err: Error | null, out: { error?: string }[]) => {
      const bad = out.find((o) => o.error);
      if (err || bad) fail(err ?? new Error(bad!.error));
      else done();
    }));
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
}
