// The embedded demo bot (the default when no bot URL is configured): greets, listens with the
// media's VAD, and answers each utterance with "You said:" and the utterance itself, once the
// caller stops. Talking over it interrupts it (barge-in). Duplex audio, turn-taking and barge-in
// can all be heard without any AI service.
import type { Logger } from 'pino';
import type { CallMedia } from '../../call/call-media.js';
import type { BotSession, BotStarter, CallInfo } from '../../call/call.js';
import type { ResamplerRate } from '../../native/resampler.js';
import { prompt } from './speech-source.js';
import { FRAME_MS } from '../../media/frame.js';

const PRE_ROLL_MS = 300;      // the VAD needs a moment: keep what came just before its onset
// Speech over the bot is reported once it is told from the bot's echo, up to a few seconds late
// (speechStarted's speechMs): keep that much audio.
const MAX_PRE_ROLL_MS = 3_000;
const MIN_UTTERANCE_MS = 250; // shorter than this is a noise, not something to repeat
const MAX_UTTERANCE_MS = 10_000;
// Silence after the VAD's speechStopped (itself after its hangover) that ends the caller's turn: a
// breath inside a sentence must not split it into two replies. Counted in frames of media, not
// wall-clock time.
const END_OF_TURN_MS = 500;

export interface DemoBotStats {
  utterancesHeard: number;
  repliesStarted: number;
  bargeIns: number;
  lastUtteranceMs: number;
}

export class DemoBot implements BotSession {
  readonly stats: DemoBotStats = { utterancesHeard: 0, repliesStarted: 0, bargeIns: 0, lastUtteranceMs: 0 };
  private speaking = false;
  private recording: Int16Array[] | undefined;
  private interruptedDuringUtterance = false;
  // Frames heard since speechStopped while the turn may still go on; undefined while speaking.
  private silentFrames: number | undefined;
  private readonly preRoll: Int16Array[] = [];
  private stopped = false;
  private readonly listeners: Array<[keyof import('../../call/call-media.js').CallMediaEvents, (...args: never[]) => void]> = [];

  constructor(
    private readonly media: CallMedia,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.on('audio', (pcm: Int16Array) => this.onAudio(pcm));
    this.on('speechStarted', (speechMs: number) => this.onSpeechStarted(speechMs));
    this.on('speechStopped', () => this.onSpeechStopped());
    this.on('bargeIn', () => {
      this.stats.bargeIns++;
      this.speaking = false;
      this.interruptedDuringUtterance = true;
    });
    this.on('markPlayed', (name: string) => {
      if (name === 'turn-end') this.speaking = false;
    });
    void this.say(['greeting']);
  }

  stop(): void {
    this.stopped = true;
    for (const [event, listener] of this.listeners) this.media.off(event, listener as never);
  }

  private on(event: keyof import('../../call/call-media.js').CallMediaEvents, listener: (...args: never[]) => void): void {
    this.listeners.push([event, listener]);
    this.media.on(event, listener as never);
  }

  private async say(parts: Array<'greeting' | 'youSaid' | Int16Array>): Promise<void> {
    const rate = this.media.sampleRateHz as ResamplerRate;
    const audio: Int16Array[] = [];
    for (const part of parts) audio.push(typeof part === 'string' ? await prompt(part, rate) : part);
    if (this.stopped) return;
    this.speaking = true;
    for (const chunk of audio) this.media.play(chunk);
    this.media.mark('turn-end');
  }

  private onAudio(pcm: Int16Array): void {
    if (this.recording) {
      this.recording.push(pcm.slice());
      if (this.silentFrames !== undefined && ++this.silentFrames * FRAME_MS >= END_OF_TURN_MS) {
        // The turn's trailing silence is not part of what the caller said.
        this.recording.splice(this.recording.length - this.silentFrames);
        this.finishUtterance();
      } else if (this.recording.length * FRAME_MS >= MAX_UTTERANCE_MS) this.finishUtterance();
      return;
    }
    this.preRoll.push(pcm.slice());
    if (this.preRoll.length * FRAME_MS > MAX_PRE_ROLL_MS) this.preRoll.shift();
  }

  private onSpeechStarted(speechMs: number): void {
    // Speech again before the turn ended: the same utterance goes on.
    this.silentFrames = undefined;
    if (this.recording) return;
    const keep = Math.ceil((speechMs + PRE_ROLL_MS) / FRAME_MS);
    this.recording = this.preRoll.splice(0).slice(-keep);
    // Speech while the bot talks may be its own echo: only a barge-in makes it a turn.
    this.interruptedDuringUtterance = !this.speaking;
  }

  private onSpeechStopped(): void {
    if (this.recording) this.silentFrames = 0;
  }

  private finishUtterance(): void {
    const frames = this.recording ?? [];
    this.recording = undefined;
    this.silentFrames = undefined;
    const durationMs = frames.length * FRAME_MS;
    if (!this.interruptedDuringUtterance || durationMs < MIN_UTTERANCE_MS) return;
    this.stats.utterancesHeard++;
    this.stats.lastUtteranceMs = durationMs;
    const utterance = new Int16Array(frames.reduce((total, frame) => total + frame.length, 0));
    let offset = 0;
    for (const frame of frames) {
      utterance.set(frame, offset);
      offset += frame.length;
    }
    this.logger.info({ durationMs }, 'demo bot heard an utterance');
    this.stats.repliesStarted++;
    void this.say(['youSaid', utterance]);
  }
}

const running = new Map<string, DemoBot>();

export function demoBotStarter(logger: Logger): BotStarter {
  return (media: CallMedia, info: CallInfo) => {
    const bot = new DemoBot(media, logger.child({ callId: info.callId, bot: 'demo' }));
    running.set(info.callId, bot);
    bot.start();
    return {
      stop: () => {
        bot.stop();
        running.delete(info.callId);
      },
    };
  };
}

// The demo bot of a live call, for the operator view and tests.
export function demoBotOf(callId: string): DemoBot | undefined {
  return running.get(callId);
}
