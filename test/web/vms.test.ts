/// <reference lib="dom" />
// The console's virtual machines in a real browser, against a real `weft up` and `weft agent`
// booting the test guest (built here from Debian packages, registered with `weft image upload`)
// under QEMU: the VM is listed with its state, its page shows the serial console in an xterm.js
// terminal, a command typed there runs in the guest's shell and its output comes back, and a user
// of another project neither sees the VM nor gets its console. One guest, booted once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { WeftClient } from '../../src/client/index.js';
import { buildTestGuest, testGuestMissing } from '../../src/agent/drivers/vm/test-guest.js';
import { assertBuilt, sandbox, weftUp, type Sandbox, type UpServer } from '../cli/helpers.js';
import { joinToken, startAgent, stopRig, until, type AgentProc } from '../agent/helpers.js';
import { assertConsoleBuilt, CHROMIUM, HAVE_CHROMIUM, launch, screenshot, signIn, watchErrors, type Chrome } from './browser.js';

const PROJECT = 'vmweb';
const BOOT_MS = 120_000;
const missing = !HAVE_CHROMIUM ? `${CHROMIUM} is not installed (apt-get install chromium)` : testGuestMissing();
if (missing) console.warn(`skipping the console VM browser test: ${missing}`);

describe.skipIf(missing !== undefined)('console virtual machines', () => {
  let box: Sandbox;
  let up: UpServer;
  let admin: WeftClient;
  let agent: AgentProc;
  let chrome: Chrome;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    assertBuilt();
    assertConsoleBuilt();
    const guest = buildTestGuest();
    box = sandbox();
    up = await weftUp(box, '.weft');
    admin = new WeftClient({ server: up.url, token: up.token! });
    await admin.create({ apiVersion: 'weft/v1', kind: 'Project', metadata: { name: PROJECT }, spec: {} });
    const upload = await box.weft(['image', 'upload', 'guest', '--file', guest.disk, '-p', PROJECT]);
    expect(upload.code, upload.stderr).toBe(0);
    agent = await startAgent(box, up.url, 'vmhost', await joinToken(box));
    await admin.create({
      apiVersion: 'weft/v1',
      kind: 'VirtualMachine',
      metadata: { name: 'box', project: PROJECT },
      spec: { resources: { cpu: '1', memory: '256Mi', gpu: { count: 1 } }, rootDisk: { image: 'guest' }, cloudInit: { userData: '#cloud-config\nhostname: box\n' } },
    });
    chrome = await launch();
    page = await chrome.context.newPage();
    // 403: the other project's user is refused, as the test asks.
    errors = watchErrors(page, [401, 403, 404, 409]);
  }, 180_000);

  afterAll(async () => {
    await chrome?.close();
    await stopRig({ agent, up, box });
  }, 30_000);

  it('lists the VM with its state, node, size and GPUs', async () => {
    await signIn(page, up.url, up.token!);
    await page.getByRole('link', { name: 'Virtual machines' }).click();
    const row = page.getByTestId(`vm-${PROJECT}-box`);
    await row.waitFor();
    // Live: the row follows the VM from Pending to Running without a reload.
    await expect.poll(async () => row.locator('.phase').textContent(), { timeout: BOOT_MS, interval: 500 }).toBe('Running');
    const cells = await row.locator('td').allTextContents();
    expect(cells.slice(0, 4)).toEqual(['box', PROJECT, 'Running', 'vmhost']);
    // User-mode networking: the guest's address and the forwarded SSH port.
    expect(cells[4]).toMatch(/^10\.0\.2\.15, ssh 127\.0\.0\.1:\d+$/);
    expect(cells.slice(5, 8)).toEqual(['1', '1', '256Mi']);
    // The generic Workloads list links a VM to its own page.
    await page.getByRole('link', { name: 'Workloads' }).first().click();
    expect(await page.getByRole('link', { name: 'box', exact: true }).getAttribute('href')).toBe(`#/vms/${PROJECT}/box`);
    await page.getByRole('link', { name: 'Virtual machines' }).click();
    await row.waitFor();
  }, BOOT_MS + 30_000);

  it('opens the serial console in the browser: typed keys reach the guest shell and its output comes back', async () => {
    await page.getByRole('link', { name: 'box' }).click();
    await page.getByRole('heading', { name: 'Virtual machine box' }).waitFor();
    await page.getByTestId('console-state').filter({ hasText: 'Connected' }).waitFor({ timeout: 30_000 });
    const screen = page.locator('.xterm-rows');
    // The guest's console runs a shell once cloud-init is done: type into the terminal until it answers.
    await until('the guest shell to answer in the terminal', async () => {
      await page.locator('.xterm').click();
      await page.keyboard.type('echo web-$((6*7))');
      await page.keyboard.press('Enter');
      await new Promise((r) => setTimeout(r, 500));
      return (await screen.textContent())?.includes('web-42') ? true : undefined;
    }, 60_000, 1000);
    await screenshot(page, 'vm-console');
    // The power buttons ask through the API as the user: Start on a running VM has nothing to ask.
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    await page.getByText('Already running.').waitFor();
    // Leaving the page closes the console: the state line goes with the terminal, no error follows.
    await page.getByRole('link', { name: 'Virtual machines' }).first().click();
    await page.getByTestId('vms-table').waitFor();
    expect(await page.getByTestId('serial-terminal').count()).toBe(0);
    expect(errors).toEqual([]);
  }, 90_000);

  it('a user of another project does not see the VM and cannot open its console', async () => {
    await admin.create({ apiVersion: 'weft/v1', kind: 'Project', metadata: { name: 'other' }, spec: {} });
    await admin.create({ apiVersion: 'weft/v1', kind: 'User', metadata: { name: 'eve' }, spec: { roles: [{ role: 'member', project: 'other' }] } });
    const eveToken = (await admin.tokens.create({ user: 'eve' })).token;
    const eve = await chrome.browser.newContext();
    try {
      const evePage = await eve.newPage();
      await signIn(evePage, up.url, eveToken);
      await evePage.getByRole('link', { name: 'Virtual machines' }).click();
      await evePage.getByText('No virtual machines you may see').waitFor();
      // Straight to the VM's page: refused, and no terminal.
      await evePage.goto(`${up.url}/#/vms/${PROJECT}/box`);
      await evePage.getByRole('alert').waitFor();
      expect(await evePage.getByTestId('serial-terminal').count()).toBe(0);
      // The console socket itself, with eve's token as the console offers it: closed before it opens.
      const outcome = await evePage.evaluate(
        ([path, token]) =>
          new Promise<string>((done) => {
            const ws = new WebSocket(`${location.origin.replace(/^http/, 'ws')}${path}`, ['weft.console', `weft.bearer.${token}`]);
            ws.onopen = () => done('opened');
            ws.onclose = () => done('refused');
          }),
        [`/api/v1/projects/${PROJECT}/virtualmachines/box/console`, eveToken] as const,
      );
      expect(outcome).toBe('refused');
    } finally {
      await eve.close();
    }
  }, 60_000);
});
