// The demo page's Talk to Bot button as both browser end-to-end tests drive it: a probe in the page
// that samples the level of the bot's audio as the page plays it, the button's states, screenshots
// of each state, and the conversation's assertions (greeting heard, caller heard, barge-in, reply).
import { mkdirSync, writeFileSync } from 'node:fs';
import { pino, type Logger } from 'pino';
import type { BrowserContext, Page } from 'playwright-core';
import { expect } from 'vitest';
import type { RunningNode } from '../../api/node.js';
import { demoBotOf } from '../../engine/bot/demo-bot/demo-bot.js';
import type { CallerScript } from './caller-audio.js';

export interface Level {
  atMs: number;
  rms: number;
}

type Diagnostics = ReturnType<RunningNode['diagnostics']['forCall']>;

// Samples every 50 ms from the moment the button says "talking"; times are relative to the click
// (the fake microphone starts its file then).
const installLevelProbe = `
  window.__levels = [];
  // The signaling socket's close code and error events, for the message of a failed test.
  const NativeWebSocket = window.WebSocket;
  window.WebSocket = class extends NativeWebSocket {
    constructor(...args) {
      super(...args);
      this.addEventListener('close', (event) => console.log('signaling closed: code ' + event.code + ' reason "' + event.reason + '" clean ' + event.wasClean));
      this.addEventListener('error', () => console.log('signaling error event'));
    }
  };
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

interface ProbeWindow {
  __levels: Level[];
  __talkingAtMs: number;
}

// A probe sample louder than this is the bot speaking, not silence.
const LOUD_RMS = 0.01;
// How much of the bot's greeting and reply is measured, from the moment the page first heard each.
const GREETING_WINDOW_MS = 1000;
const REPLY_WINDOW_MS = 1500;

// Share of the samples in [fromMs, toMs) louder than silence.
export function loudFraction(levels: Level[], fromMs: number, toMs: number): number {
  const inWindow = levels.filter((level) => level.atMs >= fromMs && level.atMs < toMs);
  return inWindow.filter((level) => level.rms > LOUD_RMS).length / Math.max(1, inWindow.length);
}

// When the page first heard the bot after `afterMs`: the start of its greeting (after the call is
// up) or of its reply (after the caller stopped), whenever a loaded machine got to it.
export function firstLoudAtMs(levels: Level[], afterMs: number): number | undefined {
  return levels.find((level) => level.atMs >= afterMs && level.rms > LOUD_RMS)?.atMs;
}

export class TalkButtonPage {
  // What the page said (console, errors, its signaling socket), for the message of a failure.
  private readonly events: string[] = [];
  private note(event: string): void {
    this.events.push(`${Math.round(performance.now() - this.openedAt)} ms ${event}`);
  }
  private readonly openedAt = performance.now();

  private constructor(
    readonly page: Page,
    readonly screenshotDir: string,
  ) {
    page.on('console', (message) => this.note(`console.${message.type()}: ${message.text()}`));
    page.on('pageerror', (error) => this.note(`page error: ${error.message}`));
    page.on('websocket', (socket) => {
      this.note(`websocket opening ${socket.url().replace(/token=[^&]+/, 'token=…')}`);
      socket.on('framereceived', (frame) => this.note(`websocket received ${String(frame.payload).slice(0, 120)}`));
      socket.on('framesent', (frame) => this.note(`websocket sent ${String(frame.payload).length} bytes: ${String(frame.payload).slice(0, 60)}`));
      socket.on('socketerror', (error) => this.note(`websocket error ${error}`));
      socket.on('close', () => this.note('websocket closed'));
    });
  }

  static async open(browser: BrowserContext, url: string, screenshotDir: string): Promise<TalkButtonPage> {
    mkdirSync(screenshotDir, { recursive: true });
    const page = await browser.newPage();
    await page.goto(url);
    await page.evaluate(installLevelProbe);
    return new TalkButtonPage(page, screenshotDir);
  }

  async state(): Promise<string> {
    return this.page.evaluate(() => document.querySelector('parley-talk-button')!.getAttribute('data-state') ?? '');
  }

  // On a timeout, says where the button stopped instead of a bare playwright timeout.
  async waitForState(state: string, timeoutMs = 15_000): Promise<void> {
    try {
      await this.page.waitForFunction((wanted) => document.querySelector('parley-talk-button')!.getAttribute('data-state') === wanted, state, { timeout: timeoutMs });
    } catch (error) {
      const page = this.events.map((event) => `\n  ${event}`).join('');
      throw new Error(`the button did not reach "${state}" within ${timeoutMs} ms: it is "${await this.state()}" saying "${await this.statusText()}"; the page:${page}`, { cause: error });
    }
  }

  async statusText(): Promise<string> {
    return this.page.evaluate(() => document.querySelector('parley-talk-button')!.shadowRoot!.querySelector('.status')!.textContent ?? '');
  }

  async click(): Promise<void> {
    await this.page.locator('parley-talk-button button').click();
  }

  async screenshot(name: string): Promise<void> {
    await this.page.screenshot({ path: `${this.screenshotDir}/${name}.png` });
    // The button alone, as the README shows it (docs/screenshots/).
    await this.page.locator('parley-talk-button').screenshot({ path: `${this.screenshotDir}/button-${name}.png` });
  }

  // The call id the node gave the button in its answer.
  async callId(): Promise<string> {
    return this.page.evaluate(() => (document.querySelector('parley-talk-button') as unknown as { callId: string }).callId);
  }

  async levels(): Promise<{ talkingAtMs: number; levels: Level[] }> {
    return this.page.evaluate(() => {
      const probe = window as unknown as ProbeWindow;
      return { talkingAtMs: probe.__talkingAtMs, levels: probe.__levels };
    });
  }

  async waitForLevelsPast(atMs: number, timeoutMs: number): Promise<void> {
    await this.page.waitForFunction((endMs) => (window as unknown as ProbeWindow).__levels.some((level) => level.atMs > endMs), atMs, { timeout: timeoutMs, polling: 200 });
  }

  // Until the page has measured REPLY_WINDOW_MS of the bot's reply, however late it started (the
  // same rule as firstLoudAtMs, evaluated in the page).
  async waitForReply(afterMs: number, timeoutMs: number): Promise<void> {
    await this.page.waitForFunction(
      ({ afterMs, windowMs, loudRms }) => {
        const levels = (window as unknown as ProbeWindow).__levels;
        const start = levels.find((level) => level.atMs >= afterMs && level.rms > loudRms)?.atMs;
        return start !== undefined && levels.some((level) => level.atMs > start + windowMs);
      },
      { afterMs, windowMs: REPLY_WINDOW_MS, loudRms: LOUD_RMS },
      { timeout: timeoutMs, polling: 200 },
    );
  }

  async close(): Promise<void> {
    await this.page.close();
  }
}

// Idle -> click -> connecting -> talking, then the caller's utterance plays out and the bot answers
// it; screenshots 1 to 4. Returns the call id and the levels the page measured.
export async function talkToBot(button: TalkButtonPage, caller: CallerScript, connectTimeoutMs = 15_000): Promise<{ callId: string; talkingAtMs: number; levels: Level[] }> {
  await button.screenshot('1-idle');
  expect(await button.state()).toBe('idle');
  expect(await button.page.getByRole('button', { name: 'Start a voice call with the bot' }).count()).toBe(1);

  await button.click();
  await button.screenshot('2-connecting');
  await button.waitForState('talking', connectTimeoutMs);
  await button.screenshot('3-talking');
  const callId = await button.callId();

  await button.waitForReply(caller.speechEndMs, 60_000);
  await button.screenshot('4-bot-replying');
  const heard = await button.levels();
  // Kept beside the screenshots: the level trace explains a failed audio assertion.
  writeFileSync(`${button.screenshotDir}/levels.json`, JSON.stringify({ caller, ...heard }));
  return { callId, ...heard };
}

// The conversation's audio as the page heard it and as the node saw it.
export function expectConversation(node: RunningNode, callId: string, caller: CallerScript, heard: { talkingAtMs: number; levels: Level[] }): void {
  const { levels, talkingAtMs } = heard;
  const media = node.calls.list().find((call) => call.callId === callId)?.media;
  expect(media).toBeDefined();
  const bot = demoBotOf(callId);
  expect(bot).toBeDefined();

  // The greeting reached the page before the caller spoke, and sustained (the caller's lead must
  // leave time for it after the call is up).
  expect(caller.speechStartMs - talkingAtMs, `the call was up ${talkingAtMs} ms after the click: too late for the caller's lead`).toBeGreaterThan(1700);
  const greetingAtMs = firstLoudAtMs(levels, talkingAtMs);
  expect(greetingAtMs, 'the page heard no greeting').toBeDefined();
  expect(greetingAtMs!, `the greeting began ${greetingAtMs! - talkingAtMs} ms after the call was up: too late for the caller's lead`).toBeLessThan(caller.speechStartMs);
  // Measured from its start: the greeting plays on until the caller's speech has lasted long
  // enough to barge in, so this window holds greeting even when it began just before the caller.
  expect(loudFraction(levels, greetingAtMs!, greetingAtMs! + GREETING_WINDOW_MS)).toBeGreaterThan(0.5);
  // The caller's speech reached the bot (VAD and the demo bot both heard it) ...
  expect(media!.speechFrames).toBeGreaterThan(25);
  expect(bot!.stats.utterancesHeard).toBeGreaterThanOrEqual(1);
  // ... it interrupted the greeting (which lasts 5 s): barge-in, and the page went quiet while
  // the caller kept talking ...
  expect(media!.bargeIns).toBeGreaterThanOrEqual(1);
  expect(loudFraction(levels, caller.speechStartMs + 700, caller.speechEndMs)).toBeLessThan(0.25);
  // ... and the bot answered after the caller stopped, measured from when its reply began (on a
  // slow machine it begins later; the window moves with it).
  const replyAtMs = firstLoudAtMs(levels, caller.speechEndMs);
  expect(replyAtMs, 'the page heard no reply after the caller stopped').toBeDefined();
  expect(loudFraction(levels, replyAtMs!, replyAtMs! + REPLY_WINDOW_MS)).toBeGreaterThan(0.4);
}

// Hang-up by the visitor: the button ends (screenshot 6) and the node receives the diagnostics.
export async function hangUpAndCollectDiagnostics(button: TalkButtonPage, node: RunningNode, callId: string): Promise<Diagnostics> {
  await button.click();
  await button.waitForState('ended');
  await button.screenshot('6-ended');
  return new Promise<Diagnostics>((resolve) => {
    const check = (): void => {
      const entries = node.diagnostics.forCall(callId);
      if (entries.length > 0) resolve(entries);
      else setTimeout(check, 50); // polling the node's log until the report arrives
    };
    check();
  });
}

// The node's log for a browser test, kept in the test output beside the screenshots, so a failed
// run in CI shows what the node saw (signaling opened and closed, call stats, diagnostics).
export function nodeLogger(outputDir: string): Logger {
  mkdirSync(outputDir, { recursive: true });
  return pino({ level: 'info' }, pino.destination({ dest: `${outputDir}/node.log`, sync: true }));
}
