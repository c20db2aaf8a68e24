// Parley's PBX-mode side for tests: an AsteriskAdapter with a real MediaEngine and recording bots,
// attached to any ARI (the real Asterisk of real-asterisk.ts, or the ARI double).
//
//   const parley = await startParley({ url: asterisk.ariUrl, ...asterisk.ari, botSays });
//   const bot = await parley.bots.started(0);   // the first call's bot: bot.heard(), bot.stopReason
//   await parley.close();
import { pino } from 'pino';
import { CallRegistry } from '../../../engine/call/call-registry.js';
import { CallService } from '../../../engine/call/call-service.js';
import { MediaEngine } from '../../../engine/media/media-engine.js';
import type { SessionOptions } from '../../../engine/media/media-session-options.js';
import { AsteriskAdapter } from '../../../gateway-adapters/asterisk/asterisk-adapter.js';
import { asteriskMetrics } from '../../../gateway-adapters/asterisk/asterisk-metrics.js';
import { asteriskConfigSchema, type AsteriskConfigInput } from '../../../gateway-adapters/asterisk/asterisk-config.js';
import { recordingBots, type RecordingBots } from '../recording-bot.js';

export const BOT_CONTEXT = 'parley-bot';

export interface ParleyPbx {
  media: MediaEngine;
  calls: CallRegistry;
  adapter: AsteriskAdapter;
  bots: RecordingBots;
  close(): Promise<void>;
}

export interface ParleyPbxOptions {
  url: string;
  username: string;
  password: string;
  app: string;
  config?: AsteriskConfigInput;
  botSays?: Int16Array;
  // Or a clip per call, by the order the bots start in.
  botSaysFor?: (index: number) => Int16Array;
  // The bot hangs up once what it said has been sent (as a bot's `hangup` after its last words).
  botHangsUp?: boolean;
  maxCallMs?: number;
  // The node-wide cap on concurrent calls (the call service's default when absent).
  maxCalls?: number;
  session?: SessionOptions;
  // Resolve start() only after the first reconcile (tests that count reconciles want this).
  awaitFirstReconcile?: boolean;
}

export async function startParley(options: ParleyPbxOptions): Promise<ParleyPbx> {
  const media = new MediaEngine();
  const calls = new CallRegistry();
  const bots = recordingBots(options.botSays);
  const config = asteriskConfigSchema.parse({
    url: options.url,
    username: options.username,
    password: options.password,
    app: options.app,
    allowedContexts: [BOT_CONTEXT],
    allowedExtensions: ['7000'],
    reconnectInitialMs: 50,
    ...options.config,
  });
  const adapter = new AsteriskAdapter({
    config,
    mediaHost: '127.0.0.1',
    // Echo cancellation off: these calls' bot sends the caller's own audio back, which is exactly
    // what an echo is; the caller's steady test tone would be cancelled as the echo of itself.
    session: { botRateHz: 16000, bargeIn: false, echoCancellation: false, ...options.session },
    calls: new CallService({
      engine: media,
      calls,
      maxCallMs: options.maxCallMs ?? 60_000,
      maxCalls: options.maxCalls,
      logger: pino({ level: process.env.PARLEY_TEST_LOG ?? 'silent' }),
      startBot: (media, info) => {
      const bot = bots.starter(media, info);
      if (options.botSaysFor) media.play(options.botSaysFor(bots.bots.length - 1));
      if (options.botHangsUp) {
        media.on('markPlayed', (name) => name === 'said' && media.hangup('bot_hangup'));
        media.mark('said');
      }
      return bot;
      },
    }),
    logger: pino({ level: process.env.PARLEY_TEST_LOG ?? 'silent' }),
  });
  const firstReconcile = new Promise((resolve) => adapter.once('reconciled', resolve));
  try {
    await adapter.start();
    if (options.awaitFirstReconcile ?? true) await firstReconcile;
  } catch (error) {
    await adapter.stop();
    media.stop();
    throw error;
  }
  return {
    media,
    calls,
    adapter,
    bots,
    async close() {
      await adapter.stop();
      media.stop();
    },
  };
}

// The channels the adapters of this process have counted so far, by outcome
// (parley_asterisk_calls_total: started, refused, setup_failed, ...).
export async function callOutcomes(): Promise<Record<string, number>> {
  const { values } = await asteriskMetrics.calls.get();
  return Object.fromEntries(values.map((value) => [String(value.labels.outcome), value.value]));
}

// Resolves when the adapter has finished (torn down) `count` more calls.
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

// Polls `check` every `pollMs` until it holds; rejects after `timeoutMs` naming `what`.
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000, pollMs = 10): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
