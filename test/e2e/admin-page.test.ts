// The admin view in Debian's Chromium, opened the way an operator first does: without the token
// in the address. The page says where the token comes from, a wrong one is refused with the same
// help, the right one shows the calls, and the page asks the server for no favicon.
import type { BrowserContext } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startApi, type ApiHarness } from '../support/api-harness.js';
import { launchChromium } from '../support/chromium.js';

const refuseGateway = { connect: () => Promise.reject(new Error('no media in this test')) };
const noBot = () => ({ stop: () => undefined });

describe('the admin page', () => {
  let api: ApiHarness | undefined;
  let browser: BrowserContext | undefined;
  afterEach(async () => {
    await browser?.close();
    await api?.close();
    browser = undefined;
    api = undefined;
  });

  it('without #token says where the token is; a wrong token is refused with that help; the right one shows the calls', async () => {
    api = await startApi({ gateway: refuseGateway, startBot: noBot });
    browser = await launchChromium('/dev/null');
    const page = await browser.newPage();
    const requested: string[] = [];
    page.on('request', (request) => requested.push(new URL(request.url()).pathname));
    const status = page.locator('#status');
    const help = page.locator('#token-help');

    await page.goto(`${api.operatorUrl}/admin.html`);
    await expect.poll(() => status.textContent()).toContain('No admin token');
    expect(await help.isVisible()).toBe(true);
    const helpText = (await help.textContent())!.replace(/\s+/g, ' ');
    expect(helpText).toContain('Operator view');
    expect(helpText).toContain('#token=');
    expect(helpText).toContain('PARLEY_ADMIN_TOKEN');
    expect(helpText).toContain('operator listener');

    await page.fill('#token-input', 'not-the-admin-token-at-all');
    await page.click('#token-form button');
    await expect.poll(() => status.textContent()).toContain('Refused (401)');
    expect(await status.textContent()).toContain('printed at start');
    expect(await help.isVisible()).toBe(true);

    await page.fill('#token-input', ADMIN_TOKEN);
    await page.click('#token-form button');
    await expect.poll(() => status.textContent()).toMatch(/^0 live call\(s\)/);
    expect(await help.isVisible()).toBe(false);
    expect(new URL(page.url()).hash).toBe(`#token=${ADMIN_TOKEN}`);
    expect(requested).not.toContain('/favicon.ico');
  });
});
