// Runs the real `weft` binary (bin/weft.js → dist/) as a user would, with its config file in a
// temporary directory so tests never touch the user's own contexts.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const BIN = join(ROOT, 'bin', 'weft.js');

export function assertBuilt(): void {
  if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) {
    throw new Error('dist/ is missing: the CLI tests run the built binary; run `npm run build` (npm test does it)');
  }
}

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface Sandbox {
  dir: string;
  env: NodeJS.ProcessEnv;
  /** Runs `weft ARGS` to completion. */
  weft(args: string[], opts?: { input?: string; env?: NodeJS.ProcessEnv }): Promise<Result>;
  /** Starts `weft ARGS` and leaves it running. */
  spawn(args: string[], opts?: { env?: NodeJS.ProcessEnv }): ChildProcess;
  cleanup(): void;
}

export function sandbox(): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), 'weft-cli-test-'));
  const env: NodeJS.ProcessEnv = { ...process.env, WEFT_CONFIG: join(dir, 'config.yaml'), NO_COLOR: '1' };
  for (const k of ['WEFT_SERVER', 'WEFT_TOKEN', 'WEFT_PROJECT', 'WEFT_CONTEXT', 'WEFT_DATABASE_URL']) delete env[k];
  const children: ChildProcess[] = [];
  const start = (args: string[], extra?: NodeJS.ProcessEnv): ChildProcess => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: { ...env, ...extra }, stdio: ['pipe', 'pipe', 'pipe'] });
    children.push(child);
    return child;
  };
  return {
    dir,
    env,
    weft: (args, opts = {}) =>
      new Promise((done, fail) => {
        const child = start(args, opts.env);
        let stdout = '';
        let stderr = '';
        child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('error', fail);
        child.on('close', (code) => done({ code, stdout, stderr }));
        child.stdin!.end(opts.input ?? '');
      }),
    spawn: (args, opts = {}) => start(args, opts.env),
    cleanup: () => {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Resolves with everything printed so far once `pattern` appears in the child's output. */
export function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  return new Promise((done, fail) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`timed out waiting for ${pattern}; output so far:\n${out}`)), timeoutMs);
    const onData = (d: Buffer): void => {
      out += d.toString();
      if (pattern.test(out)) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        child.stderr!.off('data', onData);
        done(out);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`weft exited with ${code} before printing ${pattern}; output:\n${out}`));
    });
  });
}

/** Stops a long-running weft (Ctrl-C) and waits for it to exit. */
export async function interrupt(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  child.kill('SIGINT');
  return exited;
}

export interface UpServer {
  child: ChildProcess;
  url: string;
  token?: string;
  output: string;
}

/** `weft up` on a free port with its data in the sandbox; returns once it is serving. */
export async function weftUp(box: Sandbox, dataDir = '.weft', extraArgs: string[] = [], env?: NodeJS.ProcessEnv): Promise<UpServer> {
  const child = box.spawn(['up', '--port', '0', '--data-dir', dataDir, ...extraArgs], env ? { env } : {});
  const output = await waitForOutput(child, /Try: /, 60_000);
  const url = /API:\s+(http:\/\/\S+?)\/api\/v1/.exec(output)?.[1];
  if (!url) throw new Error(`no URL in weft up output:\n${output}`);
  const token = /^\s+(weft_\S+)\s*$/m.exec(output)?.[1];
  return { child, url, token, output };
}
