// Browser-test plumbing: Debian's Chromium driven by playwright-core, headless and isolated
// (a fresh temporary profile per launch, no background traffic), plus a `weft up --demo` for the console to talk to.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { WeftClient } from '../../src/client/index.js';
import { assertBuilt, interrupt, sandbox, weftUp, ROOT, type Sandbox, type UpServer } from '../cli/helpers.js';

export const CHROMIUM = '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
export const SCREENSHOTS = join(ROOT, 'test-artifacts', 'screenshots');

export function assertConsoleBuilt(): void {
  if (!existsSync(join(ROOT, 'dist', 'web', 'index.html'))) {
    throw new Error('dist/web is missing: build the console with `npx vite build --config web/vite.config.ts` (npm run build does it)');
  }
}

export interface Chrome {
  browser: Browser;
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launch(viewport = { width: 1280, height: 860 }): Promise<Chrome> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    chromiumSandbox: false,
    timeout: 30_000,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({ viewport });
  context.setDefaultTimeout(20_000);
  return {
    browser,
    context,
    close: () => browser.close().catch(() => undefined),
  };
}

/** Console errors and uncaught exceptions; expected HTTP failures (shown in the UI) are left out. */
export function watchErrors(page: Page, expectedStatuses: number[] = [401, 404, 409, 422]): string[] {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`uncaught: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const text = msg.text();
    if (expectedStatuses.some((s) => text.includes(`status of ${s}`))) return;
    errors.push(text);
  });
  return errors;
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: false });
}

/**
 * Opens the console and signs in with `token`. The session belongs to the browser: a page opened
 * while another tab of the same context is signed in is signed in already (as that tab's user).
 */
export async function signIn(page: Page, url: string, token: string): Promise<void> {
  await page.goto(url + '/');
  const form = page.getByLabel('API token');
  const overview = page.getByRole('heading', { name: 'Overview' });
  await form.or(overview).first().waitFor();
  if (await form.isVisible()) {
    await form.fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }
  await overview.waitFor();
}

export interface ConsoleRig {
  box: Sandbox;
  up: UpServer;
  /** The admin's API client. */
  client: WeftClient;
  chrome: Chrome;
  close(): Promise<void>;
}

/** A `weft up --demo` in a sandbox, and a browser to drive its console. */
export async function startConsole(): Promise<ConsoleRig> {
  assertBuilt();
  assertConsoleBuilt();
  const box = sandbox();
  let up: UpServer | undefined;
  let chrome: Chrome | undefined;
  const close = async (): Promise<void> => {
    await chrome?.close();
    if (up) await interrupt(up.child);
    box.cleanup();
  };
  try {
    up = await weftUp(box, '.weft', ['--demo']);
    chrome = await launch();
    return { box, up, client: new WeftClient({ server: up.url, token: up.token }), chrome, close };
  } catch (err) {
    await close();
    throw err;
  }
}
