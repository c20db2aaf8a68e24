// One call's AudioSocket media: slin 8 kHz both ways through the session's native PCM leg.
// chan_audiosocket has no jitter buffer or queue: each message read becomes a frame in the
// bridge at once, so bot audio must reach Asterisk at real time. The pump hands over what the
// native leg paced since the last pump (normally one 20 ms frame) as 20 ms audio messages in one
// write, and a 20 ms silence message when the bot has nothing to say; with no queue on Asterisk's
// side, barge-in needs no flush there either way.
//
// Why silence and not nothing: Asterisk 22.10 can call chan_audiosocket's read with no message
// waiting (seen as the channel joins a bridge), and res_audiosocket's read then polls for a header
// every 5 ms with no deadline while holding the channel (asterisk#2089, open upstream): nothing is
// written to the channel, so the caller's audio stops reaching Parley until Parley sends
// something, and a bot that waits for the caller before it speaks never hears them. A message
// every 20 ms ends such a read within a frame (test: audiosocket-transport.test.ts).
import type { Logger } from 'pino';
import type { MediaSession } from '../../engine/media/media-session.js';
import type { AudioSocketConnection, AudioSocketSink } from './audiosocket-connection.js';
import { HANGUP_FRAME, SILENCE_FRAME, encodeAudio } from './audiosocket-frame.js';

export class AudioSocketLink implements AudioSocketSink {
  private closing = false;

  constructor(
    private readonly connection: AudioSocketConnection,
    private readonly session: MediaSession,
    private readonly logger: Logger,
    private readonly onBroken: (reason: string) => void,
  ) {
    connection.attach(this);
  }

  audio(pcm: Int16Array): void {
    this.session.pushCallerPcm(pcm);
  }

  // The bridge also copies the caller's digits to this channel; the bot gets them from the
  // caller's ChannelDtmfReceived (ARI), so this copy is not forwarded twice.
  dtmf(): void {}

  ended(reason: 'audiosocket_hangup' | 'audiosocket_error', code?: number): void {
    this.logger.info({ reason, code }, 'AudioSocket ended by Asterisk');
    this.onBroken(reason);
  }

  closed(): void {
    if (!this.closing) this.onBroken('media_audiosocket_closed');
  }

  // Called every 20 ms.
  pump(): void {
    if (this.closing) return;
    const pcm = this.session.takeOutboundPcm();
    this.connection.write(pcm.length === 0 ? SILENCE_FRAME : encodeAudio(new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength)));
  }

  // Nothing to wait for before a hangup: chan_audiosocket queues nothing, each message is in the
  // bridge as soon as Asterisk reads it, and the hangup message is read after the last audio.
  drain(): Promise<void> {
    return Promise.resolve();
  }

  // Parley ends the call: ask Asterisk to hang the AudioSocket channel up (kind 0x00), then close.
  close(): void {
    if (this.closing) return;
    this.closing = true;
    this.connection.write(HANGUP_FRAME);
    // Closed once the hangup is flushed, whether or not Asterisk closes its side.
    this.connection.socket.end(() => this.connection.close());
  }
}
