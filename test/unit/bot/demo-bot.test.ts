// The demo bot's turn-taking, driven frame by frame through a stand-in CallMedia (media time, no
// timers): a pause shorter than the end-of-turn silence does not split an utterance, a longer one
// ends the turn, and the reply is "You said:" followed by exactly what the caller said.
import { EventEmitter } from 'node:events';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { CallMedia, CallMediaEvents } from '../../../engine/call/call-media.js';
import { DemoBot } from '../../../engine/bot/demo-bot/demo-bot.js';
import { prompt } from '../../../engine/bot/demo-bot/speech-source.js';

const RATE_HZ = 16000;
const FRAME = 320;

class FakeMedia extends EventEmitter<CallMediaEvents> implements CallMedia {
  readonly callId = 'demo-bot-test';
  readonly sampleRateHz = RATE_HZ;
  readonly networkCodec = 'PCMU' as const;
  readonly played: Int16Array[] = [];
  readonly marks: string[] = [];
  play(pcm: Int16Array): boolean {
    this.played.push(pcm);
    return true;
  }
  mark(name: string): void {
    this.marks.push(name);
    this.emit('markPlayed', name);
  }
  clear(): void {}
  sendDtmf(): boolean {
    return true;
  }
  hangup(): void {}
  readonly queuedMs = 0;
}

// A frame whose every sample carries its index, so the reply shows which frames it repeated.
const frame = (index: number): Int16Array => new Int16Array(FRAME).fill(index);

async function settle(media: FakeMedia, marks: number): Promise<void> {
  // say() awaits the prompt's audio before playing: wait for its mark.
  while (media.marks.length < marks) await new Promise((resolve) => setImmediate(resolve));
}

describe('demo bot turn-taking', () => {
  it('keeps one utterance across a short pause and replies with all of it once the turn ends', async () => {
    const media = new FakeMedia();
    const bot = new DemoBot(media, pino({ level: 'silent' }));
    bot.start();
    await settle(media, 1); // the greeting
    let index = 1;
    const feed = (frames: number): void => {
      for (let i = 0; i < frames; i++) media.emit('audio', frame(index++));
    };
    media.emit('speechStarted', 20);
    feed(40); // 800 ms of speech
    media.emit('speechStopped');
    feed(10); // a 200 ms breath: shorter than the end of turn
    media.emit('speechStarted', 20);
    feed(30);
    media.emit('speechStopped');
    expect(bot.stats.utterancesHeard).toBe(0);
    feed(25); // 500 ms of silence ends the turn

    expect(bot.stats.utterancesHeard).toBe(1);
    expect(bot.stats.lastUtteranceMs).toBe((40 + 10 + 30) * 20);
    await settle(media, 2);
    const youSaid = await prompt('youSaid', RATE_HZ);
    const reply = media.played.slice(-2);
    expect(reply[0]).toEqual(youSaid);
    // Exactly frames 1..80: the breath stays in, the trailing silence does not.
    expect(reply[1]!.length).toBe(80 * FRAME);
    expect(reply[1]![0]).toBe(1);
    expect(reply[1]!.at(-1)).toBe(80);
    bot.stop();
  });

  it('does not answer a noise shorter than an utterance', async () => {
    const media = new FakeMedia();
    const bot = new DemoBot(media, pino({ level: 'silent' }));
    bot.start();
    await settle(media, 1);
    media.emit('speechStarted', 20);
    for (let i = 0; i < 5; i++) media.emit('audio', frame(i));
    media.emit('speechStopped');
    for (let i = 0; i < 30; i++) media.emit('audio', frame(0));
    expect(bot.stats.utterancesHeard).toBe(0);
    bot.stop();
  });
});
