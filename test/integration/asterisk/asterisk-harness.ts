// Wires an AsteriskAdapter to the ARI double with a real MediaEngine and recording bots.
import { pino } from 'pino';
import { afterEach } from 'vitest';
import { CallRegistry } from '../../../engine/call/call-registry.js';
import { MediaEngine } from '../../../engine/media/media-engine.js';
import type { SessionOptions } from '../../../engine/media/media-session-options.js';
import { AsteriskAdapter } from '../../../gateway-adapters/asterisk/asterisk-adapter.js';
import { asteriskConfigSchema, type AsteriskConfigInput } from '../../../gateway-adapters/asterisk/asterisk-config.js';
import { AriDouble, type AriDoubleOptions } from '../../support/ari-double/ari-double.js';
import { recordingBots, type RecordingBots } from '../../support/recording-bot.js';
import { bestAlignment, rmsDbfs } from '../../support/signal-metrics.js';
import { renderSpeech } from '../../support/speech.js';

export const APP = 'parley';
export const BOT_CONTEXT = 'parley-bot';

export interface Harness {
  ari: AriDouble;
  media: MediaEngine;
  calls: CallRegistry;
  adapter: AsteriskAdapter;
  bots: RecordingBots;
  close(): Promise<void>;
}

export async function startHarness(
  options: { config?: AsteriskConfigInput; botSays?: Int16Array; maxCallMs?: number; double?: AriDoubleOptions; session?: SessionOptions } = {},
): Promise<Harness> {
  const ari = await AriDouble.start(options.double);
  const media = new MediaEngine();
  const calls = new CallRegistry();
  const bots = recordingBots(options.botSays);
  const config = asteriskConfigSchema.parse({
    url: ari.url,
    username: 'parley',
    password: 'secret',
    app: APP,
    allowedContexts: [BOT_CONTEXT],
    allowedExtensions: ['7000'],
    reconnectInitialMs: 50,
    ...options.config,
  });
  const adapter = new AsteriskAdapter({
    config,
    media,
    mediaHost: '127.0.0.1',
    session: { botRateHz: 16000, bargeIn: false, ...options.session },
    calls,
    startBot: bots.starter,
    maxCallMs: options.maxCallMs ?? 60_000,
    logger: pino({ level: process.env.PARLEY_TEST_LOG ?? 'silent' }),
  });
  // The reconcile every connect starts: done before the test begins, so tests waiting for a
  // reconcile see theirs.
  const firstReconcile = new Promise((resolve) => adapter.once('reconciled', resolve));
  await adapter.start();
  await firstReconcile;
  return {
    ari,
    media,
    calls,
    adapter,
    bots,
    async close() {
      await adapter.stop();
      media.stop();
      await ari.close();
    },
  };
}

// One harness per test, closed after it whatever the outcome.
export function harnessPerTest(): { start: typeof startHarness } {
  let current: Harness | undefined;
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  return {
    start: async (options) => {
      current = await startHarness(options);
      return current;
    },
  };
}

// Resolves when the adapter has finished (torn down) `count` calls in total.
export function finishedCalls(adapter: AsteriskAdapter, count: number): Promise<string[]> {
  const finished: string[] = [];
  return new Promise((resolve) => {
    const listener = (callId: string): void => {
      finished.push(callId);
      if (finished.length >= count) {
        adapter.off('finished', listener);
        resolve(finished);
      }
    };
    adapter.on('finished', listener);
  });
}

export function until(check: () => boolean, what: string, pollMs = 10): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const timer = setInterval(() => {
      if (check()) {
        clearInterval(timer);
        resolve();
      } else if (Date.now() - started > 20_000) {
        clearInterval(timer);
        reject(new Error(`timed out waiting for ${what}`));
      }
    }, pollMs);
  });
}

export const CALLER_TEXT = 'Hello, I would like to check the status of my order.';
export const BOT_TEXT = 'Thank you for calling, how can I help?';

export interface TwoWayResult {
  callerId: string;
  // Correlation of what the bot heard with what the caller said, and of what the caller heard
  // with what the bot said (windowedCorrelation), and the caller-side level.
  toBot: number;
  toCaller: number;
  callerHeardDbfs: number;
}

// Places one call from the allowed location, lets 2 s of speech flow each way, and measures it.
// `wireRateHz` is the rate of the caller-side format (8000 for ulaw/alaw/slin, 16000 for slin16).
export async function twoWayCall(harness: Harness, wireRateHz: number, index = 0): Promise<TwoWayResult> {
  const { ari, bots } = harness;
  const caller = ari.placeCall(APP, { context: BOT_CONTEXT, exten: '7000', audio: renderSpeech(CALLER_TEXT, { rateHz: wireRateHz }) });
  const failed = new Promise<never>((_, reject) =>
    harness.adapter.once('finished', (callId) => reject(new Error(`call ${callId} ended before its bot started (see the adapter log: PARLEY_TEST_LOG=info)`))),
  );
  const bot = await Promise.race([bots.started(index), failed]);
  const endpoint = (): { heard(): Int16Array } | undefined => {
    const mediaId = ari.bridges.get([...ari.bridges.keys()].find((id) => ari.bridges.get(id)!.channels.includes(caller.id)) ?? '')?.channels.find((id) => id !== caller.id);
    if (mediaId === undefined) return undefined;
    const channel = ari.channels.get(mediaId)!;
    return ari.rtpEndpoints.get(mediaId) ?? [...ari.wsEndpoints.values()].find((ws) => ws.channelName === channel.name);
  };
  await until(() => bot.frames.length >= 110 && (endpoint()?.heard().length ?? 0) >= wireRateHz * 2, 'two-way media');
  const heard = endpoint()!.heard();
  // 1.5 s of each signal against lags up to 250 ms (jitter buffer, bridging and pacing delay).
  const callerAtBot = renderSpeech(CALLER_TEXT, { rateHz: 16000 }).subarray(0, 24000);
  const botAtWire = renderSpeech(BOT_TEXT, { rateHz: wireRateHz }).subarray(0, (wireRateHz * 3) / 2);
  return {
    callerId: caller.id,
    toBot: windowedCorrelation(callerAtBot, bot.heard(), 16000 / 5, 4000),
    toCaller: windowedCorrelation(botAtWire, heard, wireRateHz / 5, wireRateHz / 4),
    callerHeardDbfs: rmsDbfs(heard),
  };
}

// Median, over the 200 ms windows of `reference` that hold speech, of each window's best
// correlation with `signal` at a lag in [0, maxLag]. Judged per window so that a late tick on a
// loaded machine (one concealed or repeated frame shifts everything after it) does not hide
// whether the content arrived; a wrong or silent stream still scores near 0.
function windowedCorrelation(reference: Int16Array, signal: Int16Array, window: number, maxLag: number): number {
  const scores: number[] = [];
  for (let start = 0; start + window <= reference.length; start += window) {
    const part = reference.subarray(start, start + window);
    if (rmsDbfs(part) < -45) continue;
    scores.push(bestAlignment(part, signal.subarray(start), 0, maxLag).correlation);
  }
  scores.sort((a, b) => a - b);
  return scores[Math.floor(scores.length / 2)] ?? 0;
}
