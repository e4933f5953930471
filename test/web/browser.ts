// Browser-test plumbing: Debian's Chromium driven by playwright-core, headless and isolated
// (a fresh temporary profile per launch, no background traffic), plus a `weft up --demo` for the console to talk to.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ROOT } from '../cli/helpers.js';

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

export async function signIn(page: Page, url: string, token: string): Promise<void> {
  await page.goto(url + '/');
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
}
