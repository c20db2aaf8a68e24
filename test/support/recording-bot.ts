// A bot for tests: records every caller frame and DTMF digit it gets, says a given clip once the
// call starts, and can hang up. Implements BotStarter like any bot connector.
import type { CallMedia } from '../../engine/call/call-media.js';
import type { BotSession, BotStarter, CallInfo } from '../../engine/call/call.js';

export class RecordingBot implements BotSession {
  readonly frames: Int16Array[] = [];
  readonly digits: string[] = [];
  stopReason: string | undefined;

  constructor(
    readonly media: CallMedia,
    readonly info: CallInfo,
  ) {
    media.on('audio', (pcm) => this.frames.push(pcm.slice()));
    media.on('dtmf', (digit) => this.digits.push(digit));
  }

  heard(): Int16Array {
    const out = new Int16Array(this.frames.reduce((sum, frame) => sum + frame.length, 0));
    let offset = 0;
    for (const frame of this.frames) {
      out.set(frame, offset);
      offset += frame.length;
    }
    return out;
  }

  stop(reason: string): void {
    this.stopReason = reason;
  }
}

export interface RecordingBots {
  starter: BotStarter;
  bots: RecordingBot[];
  // Resolves with the bot of the next (or an already started) call number `index`.
  started(index: number): Promise<RecordingBot>;
}

export function recordingBots(say?: Int16Array): RecordingBots {
  const bots: RecordingBot[] = [];
  const waiters: Array<{ index: number; resolve: (bot: RecordingBot) => void }> = [];
  return {
    bots,
    starter: (media, info) => {
      const bot = new RecordingBot(media, info);
      bots.push(bot);
      if (say) media.play(say);
      for (const waiter of waiters.filter((w) => w.index < bots.length)) waiter.resolve(bots[waiter.index]!);
      return bot;
    },
    started: (index) =>
      index < bots.length ? Promise.resolve(bots[index]!) : new Promise((resolve) => waiters.push({ index, resolve })),
  };
}
