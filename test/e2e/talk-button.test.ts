// The product as a visitor meets it: the demo page in headless Chromium (fake microphone fed with
// an espeak-ng utterance) talking to an embedded-mode node through the Talk to Bot button.
import { mkdirSync } from 'node:fs';
import { pino } from 'pino';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../api/config.js';
import { startNode, type RunningNode } from '../../api/node.js';
import { demoBotOf } from '../../engine/bot/demo-bot/demo-bot.js';
import { writeCallerAudio, type CallerScript } from '../support/caller-audio.js';
import { launchChromium } from '../support/chromium.js';
import { freeTcpPort } from '../support/free-port.js';

const screenshots = 'test-output/e2e';

// Samples the level of the bot's audio as the page plays it, every 50 ms, from the moment the
// button says "talking"; times are relative to the click.
const installLevelProbe = `
  window.__levels = [];
  const button = document.querySelector('parley-talk-button');
  button.addEventListener('click', () => { window.__clickAt = performance.now(); }, { capture: true });
  button.addEventListener('parley-state', (event) => {
    if (event.detail.state !== 'talking' || window.__probe) return;
    window.__talkingAtMs = performance.now() - window.__clickAt;
    const context = new AudioContext();
    const analyser = context.createAnalyser();
    context.createMediaStreamSource(button.remoteStream).connect(analyser);
    const buffer = new Float32Array(analyser.fftSize);
    window.__probe = setInterval(() => {
      analyser.getFloatTimeDomainData(buffer);
      let sum = 0;
      for (const x of buffer) sum += x * x;
      window.__levels.push({ atMs: performance.now() - window.__clickAt, rms: Math.sqrt(sum / buffer.length) });
    }, 50);
  });
`;

function loudFraction(levels: Array<{ atMs: number; rms: number }>, fromMs: number, toMs: number): number {
  const inWindow = levels.filter((level) => level.atMs >= fromMs && level.atMs < toMs);
  return inWindow.filter((level) => level.rms > 0.01).length / Math.max(1, inWindow.length);
}

// The whole page for the test output, and the button alone for the README (docs/screenshots/).
async function snap(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${screenshots}/${name}.png` });
  await page.locator('parley-talk-button').screenshot({ path: `${screenshots}/button-${name}.png` });
}

async function stateOf(page: Page): Promise<string> {
  return page.evaluate(() => document.querySelector('parley-talk-button')!.getAttribute('data-state') ?? '');
}

// Waits for the button to reach `state`; on a timeout the error names the state and the words the
// button showed instead, so a failure says where the call stalled.
async function waitForState(page: Page, state: string, timeoutMs = 15_000): Promise<void> {
  try {
    await page.waitForFunction((wanted) => document.querySelector('parley-talk-button')!.getAttribute('data-state') === wanted, state, { timeout: timeoutMs, polling: 100 });
  } catch (error) {
    const shown = await page.evaluate(() => {
      const button = document.querySelector('parley-talk-button')!;
      return `${button.getAttribute('data-state')}: "${button.shadowRoot!.querySelector('.status')!.textContent}"`;
    });
    throw new Error(`the button never reached "${state}" within ${timeoutMs} ms; it shows ${shown}`, { cause: error });
  }
}


describe('Talk to Bot in Chromium against embedded mode', () => {
  let node: RunningNode;
  let browser: BrowserContext;
  let caller: CallerScript;

  beforeAll(async () => {
    mkdirSync(screenshots, { recursive: true });
    caller = writeCallerAudio('Can you hear me? I would like to book a table for two.', 3500, 6000);
    const config = configSchema.parse({ logLevel: 'silent', api: { port: await freeTcpPort() } });
    node = await startNode(config, pino({ level: 'info' }, pino.destination({ dest: `${screenshots}/node.log`, sync: true })));
    browser = await launchChromium(caller.file);
  });

  afterAll(async () => {
    await browser?.close();
    await node?.shutdown(0);
  });

  it('greets, hears the caller, is interrupted by barge-in, hangs up and reports diagnostics', async () => {
    const page = await browser.newPage();
    await page.goto(`${node.url}/`);
    await page.evaluate(installLevelProbe);
    await snap(page, '1-idle');
    expect(await stateOf(page)).toBe('idle');
    expect(await page.getByRole('button', { name: 'Start a voice call with the bot' }).count()).toBe(1);

    await page.locator('parley-talk-button button').click();
    await snap(page, '2-connecting');
    await waitForState(page, 'talking');
    await snap(page, '3-talking');

    // Let the caller's utterance play out and the bot answer it.
    const [call] = node.calls.list();
    expect(call).toBeDefined();
    await page.waitForFunction(
      (endMs) => (window as unknown as { __levels: Array<{ atMs: number }> }).__levels.some((level) => level.atMs > endMs),
      caller.speechEndMs + 2500,
      { timeout: 20_000, polling: 200 },
    );
    await snap(page, '4-bot-replying');
    const levels = await page.evaluate(() => (window as unknown as { __levels: Array<{ atMs: number; rms: number }> }).__levels);
    const media = node.calls.list()[0]!.media!;
    const bot = demoBotOf(call!.callId)!;

    // The greeting reached the page, sustained, before the caller spoke. Counted from when the call
    // connected (a loaded machine may take a while to connect), over at least half a second.
    const talkingAtMs = await page.evaluate(() => (window as unknown as { __talkingAtMs: number }).__talkingAtMs);
    const greetingWindow = levels.filter((level) => level.atMs >= talkingAtMs + 700 && level.atMs < caller.speechStartMs);
    expect(greetingWindow.length).toBeGreaterThanOrEqual(10);
    expect(loudFraction(levels, talkingAtMs + 700, caller.speechStartMs)).toBeGreaterThan(0.5);
    // The caller's speech reached the bot (VAD and the demo bot both heard it) ...
    expect(media.speechFrames).toBeGreaterThan(25);
    expect(bot.stats.utterancesHeard).toBeGreaterThanOrEqual(1);
    // ... it interrupted the greeting (which lasts 5 s): barge-in, and the page went quiet while
    // the caller kept talking ...
    expect(media.bargeIns).toBeGreaterThanOrEqual(1);
    expect(loudFraction(levels, caller.speechStartMs + 700, caller.speechEndMs)).toBeLessThan(0.25);
    // ... and the bot answered after the caller stopped.
    expect(loudFraction(levels, caller.speechEndMs + 500, caller.speechEndMs + 2500)).toBeGreaterThan(0.4);

    // A second visitor from the same address meets the per-IP limit, in words.
    const second = await browser.newPage();
    await second.goto(`${node.url}/`);
    await second.locator('parley-talk-button button').click();
    await waitForState(second, 'error');
    const message = await second.evaluate(() => document.querySelector('parley-talk-button')!.shadowRoot!.querySelector('.status')!.textContent);
    expect(message).toContain('already in progress');
    await snap(second, '5-error-busy');
    await second.close();

    await page.locator('parley-talk-button button').click();
    await waitForState(page, 'ended');
    await snap(page, '6-ended');
    const reported = await new Promise<ReturnType<RunningNode['diagnostics']['forCall']>>((resolve) => {
      const check = (): void => {
        const entries = node.diagnostics.forCall(call!.callId);
        if (entries.length > 0) resolve(entries);
        else setTimeout(check, 50);
      };
      check();
    });
    expect(reported[0]!.diagnostics.selectedCandidateType).toBe('host');
    expect(reported[0]!.diagnostics.iceStates.map((state) => state.state)).toContain('connected');
    await page.close();
  }, 90_000);
});
