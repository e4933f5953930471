// For tests and benchmarks that run real containers: a Podman service of their own on a socket in
// a temporary folder, a small image built from scratch with Debian's static busybox, and Debian's
// docker-registry on loopback with basic auth over TLS. Nothing here is used by the agent itself.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { findPodman } from './podman.js';
import { freePort } from '../../launch.js';

/** Where Podman looks for a registry's CA, per host:port. */
const CERTS_D = '/etc/containers/certs.d';

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

/**
 * Builds TEST_IMAGE (busybox and its applets on PATH; no CMD) unless it is there already; with
 * extraBytes one more layer of that size, with layerBytes one layer per size, of random bytes so
 * no other image shares them.
 */
export async function buildTestImage(docker: Docker, tag = TEST_IMAGE, extraBytes = 0, layerBytes: readonly number[] = []): Promise<void> {
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
    const layers = layerBytes.map((bytes, i) => {
      writeFileSync(join(ctx, `layer${i}`), randomBytes(bytes));
      lines.push(`COPY layer${i} /layer${i}`);
      return `layer${i}`;
    });
    writeFileSync(join(ctx, 'Dockerfile'), lines.join('\n') + '\n');
    const stream = await docker.buildImage({ context: ctx, src: ['Dockerfile', 'busybox', ...(extraBytes > 0 ? ['payload'] : []), ...layers] }, { t: tag });
    await new Promise<void>((done, fail) => docker.modem.followProgress(stream, (err: Error | null, out: { error?: string }[]) => {
      const bad = out.find((o) => o.error);
      if (err || bad) fail(err ?? new Error(bad!.error));
      else done();
    }));
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
}

/** Why the registry tests cannot run here, or undefined. */
export function registryMissing(): string | undefined {
  for (const [bin, pkg] of [['docker-registry', 'docker-registry'], ['htpasswd', 'apache2-utils'], ['openssl', 'openssl']]) {
    if (!(process.env.PATH ?? '').split(':').some((d) => d && existsSync(join(d, bin!)))) return `${bin} is not installed (apt-get install ${pkg})`;
  }
  return undefined;
}

export interface TestRegistry {
  /** host:port on loopback */
  address: string;
  username: string;
  password: string;
  close(): Promise<void>;
}

/**
 * Debian's docker-registry on a free loopback port with basic auth (htpasswd) over TLS, its
 * self-signed certificate trusted by Podman for that address only (certs.d/<host:port>).
 */
export async function startTestRegistry(): Promise<TestRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'weft-registry-'));
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const username = 'weft-ci';
  const password = randomBytes(12).toString('hex');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  writeFileSync(join(dir, 'htpasswd'), execFileSync('htpasswd', ['-Bbn', username, password]));
  writeFileSync(join(dir, 'config.yml'), [
    'version: 0.1',
    'log: { level: error }',
    `storage: { filesystem: { rootdirectory: ${join(dir, 'data')} } }`,
    `http: { addr: "${address}", tls: { certificate: ${join(dir, 'cert.pem')}, key: ${join(dir, 'key.pem')} } }`,
    `auth: { htpasswd: { realm: weft-test, path: ${join(dir, 'htpasswd')} } }`,
  ].join('\n') + '\n');
  const certs = join(CERTS_D, address);
  mkdirSync(certs, { recursive: true });
  copyFileSync(join(dir, 'cert.pem'), join(certs, 'ca.crt'));
  const child = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: 'ignore' });
  for (let i = 0; ; i++) {
    const up = await fetch(`https://${address}/v2/`).then(() => true, (e: Error) => !/ECONNREFUSED/.test(String((e as { cause?: unknown }).cause ?? e)));
    if (up) break;
    if (i > 100 || child.exitCode !== null) throw new Error('docker-registry did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    address,
    username,
    password,
    close: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
      rmSync(certs, { recursive: true, force: true });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Tags a local image into the registry and pushes it there with the registry's login. */
export async function pushImage(docker: Docker, image: string, reg: TestRegistry, repo: string): Promise<string> {
  const [name, tag] = repo.split(':') as [string, string];
  await docker.getImage(image).tag({ repo: `${reg.address}/${name}`, tag });
  const ref = `${reg.address}/${repo}`;
  const stream = await docker.getImage(ref).push({ authconfig: { username: reg.username, password: reg.password, serveraddress: reg.address } });
  await new Promise<void>((done, fail) => docker.modem.followProgress(stream, (err: Error | null, out: { error?: string }[]) => {
    const bad = out.find((o) => o.error);
    if (err || bad) fail(err ?? new Error(bad!.error));
    else done();
  }));
  await docker.getImage(ref).remove(); // the agents must pull it
  return ref;
}
