// Wires an AsteriskAdapter (test/support/asterisk/parley-pbx.ts) to the ARI double.
import { pino } from 'pino';
import { afterEach } from 'vitest';
import { loadConfig } from '../../../api/config.js';
import { startNode, type RunningNode } from '../../../api/node.js';
import type { SessionOptions } from '../../../engine/media/media-session-options.js';
import type { AsteriskConfigInput } from '../../../gateway-adapters/asterisk/asterisk-config.js';
import { AriDouble, type AriDoubleOptions } from '../../support/ari-double/ari-double.js';
import { BOT_CONTEXT, startParley, until, type ParleyPbx } from '../../support/asterisk/parley-pbx.js';
import { windowedCorrelation } from '../../support/asterisk/audio-checks.js';
import { rmsDbfs } from '../../support/signal-metrics.js';
import { renderSpeech } from '../../support/speech.js';

export { BOT_CONTEXT, callOutcomes, finishedCalls, until } from '../../support/asterisk/parley-pbx.js';
export const APP = 'parley';

export interface Harness extends ParleyPbx {
  ari: AriDouble;
}

export async function startHarness(
  options: { config?: AsteriskConfigInput; botSays?: Int16Array; maxCallMs?: number; double?: AriDoubleOptions; session?: SessionOptions } = {},
): Promise<Harness> {
  const ari = await AriDouble.start(options.double);
  const parley = await startParley({ url: ari.url, username: 'parley', password: 'secret', app: APP, ...options });
  return {
    ...parley,
    ari,
    async close() {
      await parley.close();
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

// A whole node in pbx mode against an ARI double, configured from the environment the way an
// operator configures it; one double and at most one node per test, both closed after it.
export function pbxEnv(ari: AriDouble, password = 'secret'): Record<string, string> {
  return {
    PARLEY_MODE: 'pbx',
    PARLEY_API_PORT: '0',
    PARLEY_OPERATOR_PORT: '0',
    PARLEY_ARI_URL: ari.url,
    PARLEY_ARI_USERNAME: 'parley',
    PARLEY_ARI_PASSWORD: password,
    PARLEY_ASTERISK_CONTEXTS: BOT_CONTEXT,
  };
}

export function pbxNodePerTest(): { double(): Promise<AriDouble>; start(env: Record<string, string>): Promise<RunningNode> } {
  let node: RunningNode | undefined;
  let ari: AriDouble | undefined;
  afterEach(async () => {
    await node?.shutdown(0);
    await ari?.close();
    node = undefined;
    ari = undefined;
  });
  return {
    double: async () => (ari = await AriDouble.start()),
    start: async (env) => (node = await startNode(loadConfig(env), pino({ level: 'silent' }))),
  };
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
