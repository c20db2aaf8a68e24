// Wires an AsteriskAdapter to the ARI double with a real MediaEngine and recording bots.
import { pino } from 'pino';
import { CallRegistry } from '../../../engine/call/call-registry.js';
import { MediaEngine } from '../../../engine/media/media-engine.js';
import { AsteriskAdapter } from '../../../gateway-adapters/asterisk/asterisk-adapter.js';
import { asteriskConfigSchema, type AsteriskConfigInput } from '../../../gateway-adapters/asterisk/asterisk-config.js';
import { AriDouble, type AriDoubleOptions } from '../../support/ari-double/ari-double.js';
import { recordingBots, type RecordingBots } from '../../support/recording-bot.js';

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
  options: { config?: AsteriskConfigInput; botSays?: Int16Array; maxCallMs?: number; double?: AriDoubleOptions } = {},
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
    session: { botRateHz: 16000, bargeIn: false },
    calls,
    startBot: bots.starter,
    maxCallMs: options.maxCallMs ?? 60_000,
    logger: pino({ level: process.env.PARLEY_TEST_LOG ?? 'silent' }),
  });
  await adapter.start();
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
