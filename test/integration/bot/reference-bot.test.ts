import alawmulaw from 'alawmulaw';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { heardFrames, startBotCall, type BotCall } from '../../support/bot-call.js';
import { frames } from '../../support/frames.js';
import { bestAlignment } from '../../support/signal-metrics.js';
import { renderSpeech } from '../../support/speech.js';

const script = fileURLToPath(new URL('../../../examples/reference-bot.mjs', import.meta.url));

describe('examples/reference-bot.mjs, run as a child process', () => {
  let bot: ChildProcess | undefined;
  let call: BotCall | undefined;
  afterEach(async () => {
    call?.close();
    if (bot && bot.exitCode === null) {
      bot.kill('SIGTERM');
      await once(bot, 'exit');
    }
  });

  it('greets, hears the caller through Parley and plays the utterance back', async () => {
    bot = spawn(process.execPath, [script], { env: { ...process.env, PORT: '0', BOT_TOKEN: 'open-sesame' }, stdio: ['ignore', 'pipe', 'inherit'] });
    const lines: string[] = [];
    const waiters: Array<() => void> = [];
    createInterface({ input: bot.stdout! }).on('line', (line) => {
      lines.push(line);
      for (const wake of waiters.splice(0)) wake();
    });
    const untilLine = async (pattern: RegExp): Promise<string> => {
      for (;;) {
        const line = lines.find((l) => pattern.test(l));
        if (line !== undefined) return line;
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    };
    const url = (await untilLine(/listening on ws:/)).split(' ').at(-1)!;

    call = await startBotCall({ url, authorization: 'Bearer open-sesame' }, {}, { callId: 'call-ref', from: 'sip:carol@example.test' });
    await untilLine(/call call-ref started: 16000 Hz from sip:carol@example.test/);
    await untilLine(/played greeting/);

    const text = 'Repeat after me.';
    const speech8k = renderSpeech(text, { rateHz: 8000 });
    // The utterance, then a second of silence for the VAD to hear its end.
    const caller = new Int16Array(speech8k.length + 8000);
    caller.set(speech8k);
    const payloads = frames(caller, 160).map((frame) => alawmulaw.mulaw.encode(frame));
    const beforeCaller = call.peer.received.length;
    await call.peer.stream(payloads, call.localPort, { payloadType: 0, ssrc: 0x3131, samplesPerFrame: 160 });
    await untilLine(/played reply-1/);

    // What the caller heard from the start of its utterance: silence while talking, then the echo.
    const heard = Int16Array.from(heardFrames(call.peer, beforeCaller).flatMap((frame) => [...frame]));
    const echo = bestAlignment(speech8k, heard, 0, heard.length - speech8k.length / 2);
    expect(echo.correlation).toBeGreaterThan(0.7);
    // Played back after the caller stopped, not over them.
    expect(echo.lag).toBeGreaterThan(speech8k.length);
  });
});
