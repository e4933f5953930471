/// <reference lib="dom" />
// The console's capacity calendar in a real browser against `weft up --demo`: a reservation made
// through the API shows on its nodes and hours, and the free-GPU row drops by what it booked.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { HAVE_CHROMIUM, screenshot, signIn, startConsole, watchErrors, CHROMIUM, type ConsoleRig } from './browser.js';

if (!HAVE_CHROMIUM) console.warn(`skipping the calendar browser test: ${CHROMIUM} is not installed (apt-get install chromium)`);

const HOUR = 3_600_000;

describe.skipIf(!HAVE_CHROMIUM)('console calendar', () => {
  let rig: ConsoleRig;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    rig = await startConsole();
    await rig.client.create({ apiVersion: 'weft/v1', kind: 'Project', metadata: { name: 'vision' }, spec: {} });
    page = await rig.chrome.context.newPage();
    errors = watchErrors(page);
  }, 90_000);

  afterAll(async () => rig?.close());

  it('shows booked capacity per node and hour, and the GPUs left free each hour', async () => {
    // Two hours from the next whole hour: 64 of eu-fra-1's H100s.
    const start = Math.floor(Date.now() / HOUR) * HOUR + 2 * HOUR;
    await rig.client.create({
      apiVersion: 'weft/v1',
      kind: 'Reservation',
      metadata: { name: 'tuesday', project: 'vision' },
      spec: { gpus: 64, model: 'H100-80GB', site: 'eu-fra-1', start: new Date(start).toISOString(), end: new Date(start + 3 * HOUR).toISOString() },
    });
    await signIn(page, rig.up.url, rig.up.token!);
    await page.getByRole('link', { name: 'Calendar' }).click();
    await page.getByTestId('calendar').waitFor();
    await page.getByLabel('Site').selectOption('eu-fra-1');
    await page.getByLabel('GPU model').selectOption('H100-80GB');
    const free = async (): Promise<number[]> => (await page.getByTestId('calendar-free').locator('td').allTextContents()).map(Number);
    // The demo fleet's eu-fra-1 has 20 H100 hosts (160 GPUs): 96 free while the booking holds.
    // (Its three hours are the 3rd to 5th columns, or one earlier if the hour turned meanwhile.)
    await expect.poll(async () => (await free()).join(' ')).toMatch(/^160 (160 )?96 96 96 160( 160)*$/);
    expect(await page.getByTestId('calendar-free').locator('th').textContent()).toBe('Free GPUs (of 160)');
    expect(await page.getByTestId('calendar-legend').textContent()).toContain('Reservation vision/tuesday: 64 GPUs');
    // Eight whole hosts carry it: their cells in its hours say 8.
    const booked = await page.locator('table.calendar td[title^="Reservation vision/tuesday"]').count();
    expect(booked).toBe(8 * 3);
    await screenshot(page, 'calendar');
    expect(errors).toEqual([]);
  });
});
