// The seed's whole chain, every part real: a werift browser -> Parley's signaling (PBX mode) ->
// Janus 1.1.2 SIP plugin (in its own network namespace: it gathers no ICE candidates on loopback)
// -> SIP -> Asterisk 22 chan_pjsip -> dialplan Stasis(parley) -> Parley ExternalMedia -> a bot on
// Parley's bot WebSocket protocol. Audio both ways judged on the audio, barge-in, and hangup from
// the browser and from the bot.
import { mkdirSync } from 'node:fs';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../../api/config.js';
import { startNode, type RunningNode } from '../../../api/node.js';
import { BOT_CONTEXT, until } from '../../support/asterisk/parley-pbx.js';
import { RealAsterisk } from '../../support/asterisk/real-asterisk.js';
import { BotServer, type BotPeer } from '../../support/bot-server.js';
import { startCoturn, type CoturnHandle } from '../../support/coturn.js';
import { admitJanus } from '../../support/asterisk-janus.js';
import { namespacesUnavailable, pbxModeConfig, startJanusInNamespace, type JanusInNamespace } from '../../support/janus-netns.js';
import { grant, offerForAnswer, step, type Signal } from '../../support/signal-client.js';
import { concatSamples } from '../../support/resampler-quality.js';
import { renderSpeech } from '../../support/speech.js';
import { WeriftBrowser } from '../../support/werift-browser.js';
import { loudFrames, mulawRoundTrip, windowSnr } from '../../support/window-snr.js';

const ORIGIN = 'https://shop.example';
const outputDir = 'test-output/seed-chain';
const browserSpeech = renderSpeech('Hello bot, this is the browser calling through Janus and Asterisk.', { rateHz: 8000 });
const botText = 'Hello browser, the bot answers through Asterisk and Janus.';
const botSpeech16k = renderSpeech(botText, { rateHz: 16000 });
const botSpeech8k = renderSpeech(botText, { rateHz: 8000 });

// The bot's 16 kHz PCM16 frames, from its binary messages, as 8 kHz (every other sample: Parley
// resampled from 8 kHz µ-law, so nothing lies above 4 kHz).
function botHeard8k(peer: BotPeer): Int16Array {
  const bytes = Buffer.concat(peer.audio);
  const out = new Int16Array(Math.floor(bytes.length / 4));
  for (let i = 0; i < out.length; i++) out[i] = bytes.readInt16LE(i * 4);
  return out;
}

// The bot's audio as the protocol wants it: binary messages of whole 20 ms frames (640 bytes at
// 16 kHz), at most 50 frames each.
function say(bot: BotPeer, pcm16k: Int16Array): void {
  const frames = Math.ceil(pcm16k.length / 320);
  const padded = new Int16Array(frames * 320);
  padded.set(pcm16k);
  for (let frame = 0; frame < frames; frame += 50) bot.send(Buffer.from(padded.buffer, frame * 640, Math.min(50, frames - frame) * 640));
}

describe('the seed chain: werift browser -> Janus -> Asterisk PJSIP -> Stasis(parley) -> Parley -> bot', () => {
  let janus: JanusInNamespace | undefined;
  let asterisk: RealAsterisk | undefined;
  let coturn: CoturnHandle | undefined;
  let bots: BotServer | undefined;
  let node: RunningNode | undefined;

  beforeAll(async () => {
    const unavailable = namespacesUnavailable();
    if (unavailable) throw new Error(`the seed chain needs a network namespace for Janus (Janus 1.1.2 gathers no ICE candidates on loopback), but ${unavailable}: run the suite as root`);
    mkdirSync(outputDir, { recursive: true });
    janus = await startJanusInNamespace(outputDir);
    asterisk = await RealAsterisk.start();
    const botUri = await admitJanus(asterisk);
    coturn = await startCoturn('coturn-janus-secret', '../fixtures/janus/turnserver.conf');
    bots = await BotServer.start();
    const config = configSchema.parse({
      ...pbxModeConfig(janus, botUri),
      logLevel: 'silent',
      api: { host: '127.0.0.1', port: 0, allowedOrigins: [ORIGIN], maxCallSeconds: 120 },
      limits: { perIpActive: 2, perIpPerHour: 50 },
      asterisk: { url: asterisk.ariUrl, ...asterisk.ari, allowedContexts: [BOT_CONTEXT] },
      bot: { url: bots.url },
      turn: { stunUrls: [`stun:127.0.0.1:${coturn.port}`], turnUrls: [`turn:127.0.0.1:${coturn.port}?transport=udp`], secret: coturn.secret },
    });
    node = await startNode(config, pino({ level: process.env.PARLEY_TEST_LOG ?? 'debug' }, pino.destination({ dest: `${outputDir}/node.log`, sync: true })));
  });

  afterAll(async () => {
    await node?.shutdown(0);
    await bots?.close();
    await coturn?.stop();
    await asterisk?.dispose();
    await janus?.stop();
  });

  // A werift browser (PCMU: Asterisk has no Opus) calls through the node's signaling.
  const call = async (): Promise<{ browser: WeriftBrowser; signal: Signal }> => {
    const { token, iceServers } = await grant(node!, ORIGIN);
    const browser = new WeriftBrowser(iceServers.filter((server) => !server.username), 'all', 'PCMU');
    try {
      const offer = await step('ICE gathering', browser.offer());
      const { signal, answer } = await offerForAnswer(node!, ORIGIN, token, offer, 'the answer through Janus from Asterisk');
      await browser.answer(answer.sdp as string);
      await until(() => browser.pc.connectionState === 'connected', 'DTLS with Janus', 20_000, 50);
      return { browser, signal };
    } catch (error) {
      await browser.close();
      throw error;
    }
  };

  it('carries speech both ways, lets the browser barge in, and hangs up from the browser', async () => {
    const { browser, signal } = await call();
    try {
      const bot = await step('the bot connection', bots!.peer(0));
      await bot.until(() => bot.named('start').length === 1);
      expect(bot.named('start')[0]).toMatchObject({ caller: { source: 'asterisk' } });

      // Browser -> bot.
      await browser.send(browserSpeech);
      await until(() => botHeard8k(bot).length >= browserSpeech.length, 'the browser speech at the bot');
      const up = windowSnr(mulawRoundTrip(browserSpeech), botHeard8k(bot), 8000);

      // Bot -> browser.
      const receivedBefore = browser.received.length;
      say(bot, botSpeech16k);
      bot.send({ event: 'mark', name: 'said' });
      await bot.until(() => bot.named('mark').length === 1);
      const loudSpoken = loudFrames(botSpeech8k);
      await until(() => loudFrames(concatSamples(browser.received.slice(receivedBefore))) >= loudSpoken * 0.95, 'the bot speech at the browser');
      const down = windowSnr(mulawRoundTrip(botSpeech8k), concatSamples(browser.received.slice(receivedBefore)), 8000);
      console.info(`seed chain (werift): browser->bot SNR ${up.medianSnrDb.toFixed(1)} dB r=${up.medianCorrelation.toFixed(3)} (${up.windows} windows); ` +
        `bot->browser SNR ${down.medianSnrDb.toFixed(1)} dB r=${down.medianCorrelation.toFixed(3)} (${down.windows} windows)`);
      expect(up.windows).toBeGreaterThan(5);
      expect(up.medianCorrelation).toBeGreaterThan(0.9);
      expect(down.windows).toBeGreaterThan(5);
      expect(down.medianCorrelation).toBeGreaterThan(0.9);

      // Barge-in: the bot talks for a long time, the browser talks over it.
      const long = new Int16Array(botSpeech16k.length * 4);
      for (let i = 0; i < 4; i++) long.set(botSpeech16k, i * botSpeech16k.length);
      say(bot, long);
      const playing = browser.received.length;
      await until(() => loudFrames(concatSamples(browser.received.slice(playing))) > 50, 'the long answer playing at the browser');
      await browser.send(browserSpeech.subarray(0, 8000 * 1.5));
      await bot.until(() => bot.named('barge_in').length === 1);
      expect(bot.named('barge_in')[0]!.playedMs).toBeGreaterThan(500);

      // The browser hangs up: Janus sends BYE, Asterisk ends the Stasis call, the bot gets stop.
      signal.socket.send(JSON.stringify({ type: 'hangup' }));
      await bot.until(() => bot.named('stop').length === 1 || bot.closeCode !== undefined);
      await until(async () => (await asterisk!.leftovers()).channels === 0, 'no channel left in Asterisk');
    } finally {
      signal.socket.terminate();
      await browser.close();
    }
  });

  it('tells the browser when the bot hangs up', async () => {
    const { browser, signal } = await call();
    try {
      const bot = await step('the bot connection', bots!.peer(1));
      await bot.until(() => bot.named('start').length === 1);
      bot.send({ event: 'hangup', reason: 'done' });
      const ended = await step('the ended message after the bot hung up', signal.next('ended'));
      expect(ended.reason).toMatch(/^janus_/);
      await until(async () => (await asterisk!.leftovers()).channels === 0, 'no channel left in Asterisk');
    } finally {
      signal.socket.terminate();
      await browser.close();
    }
  });
});
