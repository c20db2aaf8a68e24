// A bot built the way Twilio Media Streams bots are built (Twilio's and OpenAI's realtime samples,
// Pipecat's serializer): it speaks an answer as sentences, each sent as µ-law media followed by a
// mark; it runs its own VAD on the caller's media and, when the caller talks over it, sends
// `clear` and keeps in its transcript only the sentences whose marks came back before that clear
// (marks Twilio returns for the cleared audio are not counted as heard).
import alawmulaw from 'alawmulaw';
import type { BotPeer } from './bot-server.js';
import { frames } from './frames.js';
import { rmsDbfs } from './signal-metrics.js';

const TWILIO_FRAME_BYTES = 160;
// The bot's VAD: caller speech over this level, for this many 20 ms frames of the answer, is an
// interruption. Slower than Parley's own barge-in (120 ms), as a remote VAD plus STT is.
const VAD_VOICED_DBFS = -35;
const VAD_FRAMES = 15;

export interface MarkReceipt {
  name: string;
  // How many RTP packets the caller had received when the mark reached the bot.
  callerPacketsAtMark: number;
  afterClear: boolean;
}

export class TwilioStyleBot {
  readonly transcript: string[] = [];
  readonly marks: MarkReceipt[] = [];
  cleared = false;
  private voicedFrames = 0;
  private seenEvents = 0;

  constructor(
    private readonly peer: BotPeer,
    private readonly streamSid: string,
    private readonly callerPackets: () => number,
  ) {
    peer.socket.on('message', (_data, isBinary) => {
      if (!isBinary) this.readEvents();
    });
  }

  // Waits until `predicate` holds, with every event the peer has recorded read by the bot first
  // (the peer wakes its waiters before this bot's own listener runs).
  until(predicate: () => boolean): Promise<void> {
    return this.peer.until(() => {
      this.readEvents();
      return predicate();
    });
  }

  // Sends each sentence (µ-law 8 kHz PCM) followed by a mark named for it.
  speak(sentences: ReadonlyArray<{ name: string; pcm8k: Int16Array }>): void {
    for (const { name, pcm8k } of sentences) {
      for (const frame of frames(pcm8k, TWILIO_FRAME_BYTES)) {
        this.peer.send({ event: 'media', streamSid: this.streamSid, media: { payload: Buffer.from(alawmulaw.mulaw.encode(frame)).toString('base64') } });
      }
      this.peer.send({ event: 'mark', streamSid: this.streamSid, mark: { name } });
    }
  }

  // Each event the peer recorded is read here once, in order.
  private readEvents(): void {
    for (; this.seenEvents < this.peer.events.length; this.seenEvents++) {
      const event = this.peer.events[this.seenEvents]!;
      if (event.event === 'mark') this.onMark((event.mark as { name: string }).name);
      else if (event.event === 'media') this.onMedia((event.media as { payload: string }).payload);
    }
  }

  private onMark(name: string): void {
    this.marks.push({ name, callerPacketsAtMark: this.callerPackets(), afterClear: this.cleared });
    if (!this.cleared) this.transcript.push(name);
  }

  private onMedia(payload: string): void {
    if (this.cleared) return;
    const pcm = alawmulaw.mulaw.decode(Buffer.from(payload, 'base64'));
    if (rmsDbfs(pcm) > VAD_VOICED_DBFS) this.voicedFrames++;
    if (this.voicedFrames < VAD_FRAMES) return;
    this.cleared = true;
    this.peer.send({ event: 'clear', streamSid: this.streamSid });
  }
}
