// The seed's whole chain with a real browser: the demo page's Talk to Bot button in headless
// Chromium -> Parley's signaling (PBX mode) -> Janus 1.1.2 SIP plugin (network namespace) -> SIP ->
// Asterisk 22 chan_pjsip -> dialplan Stasis(parley) -> Parley ExternalMedia (RTP ulaw) -> the
// embedded demo bot. The bot's greeting reaches the page, the caller's speech reaches the bot and
// interrupts the greeting (barge-in), the bot answers, and the visitor's hang-up ends every leg.
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../../api/config.js';
import { startNode, type RunningNode } from '../../../api/node.js';
import { demoBotOf } from '../../../engine/bot/demo-bot/demo-bot.js';
import { BOT_CONTEXT, until } from '../../support/asterisk/parley-pbx.js';
import { RealAsterisk } from '../../support/asterisk/real-asterisk.js';
import { admitJanus } from '../../support/asterisk-janus.js';
import { writeCallerAudio, type CallerScript } from '../../support/caller-audio.js';
import { launchChromium } from '../../support/chromium.js';
import { freeTcpPort } from '../../support/free-port.js';
import { namespacesUnavailable, pbxModeConfig, startJanusInNamespace, type JanusInNamespace } from '../../support/janus-netns.js';
import { loudFraction, nodeLogger, talkToBot, TalkButtonPage } from '../../support/talk-button-page.js';

const outputDir = 'test-output/seed-chain-chromium';
const REPLY_WINDOW_MS = 4500;

describe('the seed chain in Chromium: Talk to Bot -> Janus -> Asterisk -> Stasis(parley) -> Parley -> demo bot', () => {
  let janus: JanusInNamespace | undefined;
  let asterisk: RealAsterisk | undefined;
  let node: RunningNode | undefined;
  let browser: BrowserContext | undefined;
  let caller: CallerScript;

  beforeAll(async () => {
    const unavailable = namespacesUnavailable();
    if (unavailable) throw new Error(`the seed chain needs a network namespace for Janus (Janus 1.1.2 gathers no ICE candidates on loopback), but ${unavailable}: run the suite as root`);
    // The call crosses Janus, SIP and Asterisk before the bot greets: a long lead.
    caller = writeCallerAudio('I would like to book a table for two people tonight, please.', 4500, 6000);
    janus = await startJanusInNamespace(`${outputDir}/janus`);
    asterisk = await RealAsterisk.start();
    const botUri = await admitJanus(asterisk);
    const config = configSchema.parse({
      ...pbxModeConfig(janus, botUri),
      logLevel: 'silent',
      api: { host: '127.0.0.1', port: await freeTcpPort() },
      asterisk: { url: asterisk.ariUrl, ...asterisk.ari, allowedContexts: [BOT_CONTEXT] },
      // Inline media: the test reads the demo bot's state in this process (demoBotOf).
      media: { workers: 'inline' },
    });
    node = await startNode(config, nodeLogger(outputDir));
    browser = await launchChromium(caller.file);
  });

  afterAll(async () => {
    await browser?.close();
    await node?.shutdown(0);
    await asterisk?.dispose();
    await janus?.stop();
  });

  it('greets, hears the caller, is interrupted by barge-in, answers, and the hang-up ends every leg', async () => {
    const button = await TalkButtonPage.open(browser!, `${node!.url}/`, outputDir);
    await talkToBot(button, caller, 20_000);
    // The reply crosses two more jitter buffers (Asterisk's and Janus's legs) than in direct mode.
    await button.waitForLevelsPast(caller.speechEndMs + REPLY_WINDOW_MS, 20_000);
    const { levels, talkingAtMs } = await button.levels();
    const replyAtMs = levels.find((level) => level.atMs > caller.speechEndMs + 500 && level.rms > 0.01)?.atMs;

    // The bot is attached by the Asterisk adapter, under its own call id.
    const calls = node!.calls.list();
    expect(calls).toHaveLength(1);
    const { callId, media } = calls[0]!;
    const bot = demoBotOf(callId)!;
    expect(bot).toBeDefined();
    console.info(`seed chain (Chromium): speech frames at Parley ${media!.speechFrames}, barge-ins ${media!.bargeIns}, utterances heard ${bot.stats.utterancesHeard}, ` +
      `greeting loud ${loudFraction(levels, talkingAtMs + 700, caller.speechStartMs).toFixed(2)}, during caller ${loudFraction(levels, caller.speechStartMs + 700, caller.speechEndMs).toFixed(2)}, reply ${loudFraction(levels, caller.speechEndMs + 500, caller.speechEndMs + REPLY_WINDOW_MS).toFixed(2)} from ${Math.round((replyAtMs ?? NaN) - caller.speechEndMs)} ms after the caller stopped`);
    // The greeting reached the page through Asterisk and Janus before the caller spoke ...
    expect(loudFraction(levels, talkingAtMs + 700, caller.speechStartMs)).toBeGreaterThan(0.5);
    // ... the caller's speech crossed Janus and Asterisk to the bot ...
    expect(media!.speechFrames).toBeGreaterThan(25);
    expect(bot.stats.utterancesHeard).toBeGreaterThanOrEqual(1);
    // ... interrupted the greeting, and the page went quiet while the caller kept talking ...
    expect(media!.bargeIns).toBeGreaterThanOrEqual(1);
    expect(loudFraction(levels, caller.speechStartMs + 700, caller.speechEndMs)).toBeLessThan(0.25);
    // ... and the bot answered after the caller stopped.
    expect(loudFraction(levels, caller.speechEndMs + 500, caller.speechEndMs + REPLY_WINDOW_MS)).toBeGreaterThan(0.25);

    // The visitor hangs up: Janus sends BYE, Asterisk ends the Stasis call, Parley tears it down.
    await button.click();
    await button.waitForState('ended');
    await until(() => node!.calls.size === 0, 'the Asterisk call ended at Parley');
    await until(async () => (await asterisk!.leftovers()).channels === 0, 'no channel left in Asterisk');
    await button.close();
  });
});
