// The README's tour, run as a newcomer runs it: `weft up --demo`, then every `$ npx weft …` of the
// tour in order, from the repository, each output compared with the block the README prints, so
// the two cannot drift apart. A command that only reads is tried again until its output matches
// (the fleet takes a moment to place work, a preemption a few seconds to finish), up to a
// deadline; a command that changes something runs once.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, interrupt, sandbox, weftUp, ROOT, type Sandbox, type UpServer } from './helpers.js';
import { matchesOutput, tourSteps, type TourStep } from './readme.js';

/** Read-only commands, which may be tried again until the fleet has reached the state shown. */
const READS = /^(get|describe|top|usage|invoice|logs|version)\b/;
const DEADLINE_MS = 45_000;

interface Ran {
  code: number | null;
  output: string;
}

describe('the README tour', () => {
  let box: Sandbox;
  let up: UpServer;
  /** The last token a command printed: the next command's `weft_…` is that token. */
  let lastToken: string | undefined;
  const steps = tourSteps();

  beforeAll(async () => {
    assertBuilt();
    box = sandbox();
    up = await weftUp(box, join(box.dir, 'weft', '.weft'), ['--demo']);
  }, 90_000);
  afterAll(async () => {
    if (up) await interrupt(up.child);
    box?.cleanup();
  });

  /** Runs a README command line in bash from the repository, with `npx weft` this build's binary. */
  function run(command: string): Promise<Ran> {
    const line = command.replaceAll('http://127.0.0.1:7070', up.url).replaceAll('weft_…', lastToken ?? 'weft_…');
    const script = `npx() { shift; node ${JSON.stringify(join(ROOT, 'bin', 'weft.js'))} "$@"; }\n${line}`;
    return new Promise((resolve, reject) => {
      const child = spawn('bash', ['-c', script], { cwd: ROOT, env: box.env });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, output }));
    });
  }

  /** The banner, with this machine's paths and port written as the README writes them. */
  function banner(): string[] {
    const dataDir = join(box.dir, 'weft', '.weft');
    return up.output
      .replaceAll(dataDir, '/home/you/weft/.weft')
      .replaceAll(box.env.WEFT_CONFIG!, '/home/you/.config/weft/config.yaml')
      .replaceAll(up.url, 'http://127.0.0.1:7070')
      .split('\n');
  }

  function explain(step: TourStep, actual: string[]): string {
    return `README.md:${step.line} ${step.command ? `$ ${step.command}` : '(the start banner)'}\n--- README shows:\n${step.expected.join('\n')}\n--- a real run prints:\n${actual.join('\n')}`;
  }

  it('has steps to check', () => {
    expect(steps.length).toBeGreaterThan(20);
    expect(steps[0]!.command).toBeUndefined();
  });

  it('prints what the README shows, step by step', async () => {
    // Every step runs even after one differs, so one run shows everything that drifted.
    const drifted: string[] = [];
    for (const step of steps) {
      if (step.command === undefined) {
        if (!matchesOutput(step.expected, banner())) drifted.push(explain(step, banner()));
        continue;
      }
      const reads = READS.test(step.command.replace(/^(\w+=\S+\s+)*npx weft\s+/, ''));
      const deadline = Date.now() + (reads ? DEADLINE_MS : 0);
      let ran: Ran;
      let lines: string[];
      for (;;) {
        ran = await run(step.command);
        lines = ran.output.replace(/\n$/, '').split('\n');
        if (matchesOutput(step.expected, lines) || Date.now() >= deadline) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      if (!matchesOutput(step.expected, lines)) drifted.push(explain(step, lines));
      // Errors are what the mistakes step is about; everything else succeeds.
      const code = step.expected[0]?.startsWith('error:') ? 1 : 0;
      if (ran.code !== code) drifted.push(`${explain(step, lines)}\n--- exit status ${ran.code}, not ${code}`);
      lastToken = /^(weft_\S+)$/m.exec(ran.output)?.[1] ?? lastToken;
    }
    expect(drifted.join('\n\n')).toBe('');
  }, 600_000);
});
