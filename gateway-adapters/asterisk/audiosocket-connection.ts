// One TCP connection Asterisk's chan_audiosocket opened to Parley: decodes its frames, insists on
// the UUID first (res_audiosocket's ast_audiosocket_init sends it when the channel is called),
// and hands everything after it to the call's link. Any breach of the format is refused: counted,
// logged once (with the call id once known) and the connection destroyed; other calls go on.
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { countRefused } from '../../engine/metrics.js';
import { AudioSocketDecoder, AudioSocketKind, type AudioSocketFrame } from './audiosocket-frame.js';
import { AudioSocketFrameError, type AudioSocketRefusal } from './errors.js';

// What a matched connection delivers to its call.
export interface AudioSocketSink {
  // All audio of one TCP read, as slin samples: one crossing into the media session per read.
  audio(pcm: Int16Array): void;
  dtmf(digit: string): void;
  // Asterisk asked to hang up (0x00) or reported an error (0xff).
  ended(reason: 'audiosocket_hangup' | 'audiosocket_error', code?: number): void;
  // The connection is gone, whoever closed it.
  closed(): void;
}

export class AudioSocketConnection {
  private readonly decoder = new AudioSocketDecoder();
  private uuid: string | undefined;
  private sink: AudioSocketSink | undefined;
  private logger: Logger;
  private finished = false;

  constructor(
    readonly socket: Socket,
    logger: Logger,
    private readonly onUuid: (connection: AudioSocketConnection, uuid: string) => void,
  ) {
    this.logger = logger;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => {
      if (this.decoder.bufferedBytes > 0) this.refuse('truncated', `${this.decoder.bufferedBytes} bytes of an unfinished frame at end of stream`);
      else socket.end();
    });
    socket.on('error', (error) => this.logger.warn({ err: error }, 'AudioSocket connection error'));
    socket.on('close', () => {
      this.finished = true;
      this.sink?.closed();
    });
  }

  get matchedUuid(): string | undefined {
    return this.uuid;
  }

  // The call that owns this UUID takes the connection; its logger carries the call id.
  attach(sink: AudioSocketSink, logger: Logger): void {
    this.sink = sink;
    this.logger = logger;
  }

  write(bytes: Uint8Array): void {
    if (!this.finished && this.socket.writable) this.socket.write(bytes);
  }

  close(): void {
    this.finished = true;
    this.socket.destroy();
  }

  refuse(reason: AudioSocketRefusal, detail: string): void {
    if (this.finished) return;
    this.finished = true;
    countRefused('audiosocket', reason);
    this.logger.warn({ reason, uuid: this.uuid, detail }, 'refusing an AudioSocket connection');
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.finished) return;
    let frames: AudioSocketFrame[];
    try {
      frames = this.decoder.push(chunk);
    } catch (error) {
      // Nothing thrown from a socket handler may reach the process: anything else is refused too.
      this.refuse(error instanceof AudioSocketFrameError ? error.reason : 'decode_failed', error instanceof Error ? error.message : String(error));
      return;
    }
    let audioBytes = 0;
    for (const frame of frames) if (frame.kind === AudioSocketKind.audio) audioBytes += frame.pcm.length;
    // Copied into an aligned buffer (a Buffer view may start at an odd offset); the views in
    // `frames` stay valid until the next push.
    const pcm = audioBytes > 0 ? new Int16Array(audioBytes / 2) : undefined;
    const pcmBytes = pcm && new Uint8Array(pcm.buffer);
    let filled = 0;
    for (const frame of frames) {
      if (this.finished) return;
      if (this.uuid === undefined && frame.kind !== AudioSocketKind.uuid) {
        this.refuse('audio_before_uuid', `kind 0x${frame.kind.toString(16)} before the UUID`);
        return;
      }
      switch (frame.kind) {
        case AudioSocketKind.uuid:
          if (this.uuid !== undefined) {
            this.refuse('bad_uuid', 'a second UUID message');
            return;
          }
          this.uuid = frame.uuid;
          this.onUuid(this, frame.uuid);
          break;
        case AudioSocketKind.audio:
          pcmBytes!.set(frame.pcm, filled);
          filled += frame.pcm.length;
          break;
        case AudioSocketKind.dtmf:
          this.sink?.dtmf(frame.digit);
          break;
        case AudioSocketKind.hangup:
          this.sink?.ended('audiosocket_hangup');
          break;
        case AudioSocketKind.error:
          this.logger.warn({ code: frame.code }, 'Asterisk reported an AudioSocket error');
          this.sink?.ended('audiosocket_error', frame.code);
          break;
      }
    }
    if (pcm !== undefined && !this.finished) this.sink?.audio(pcm);
  }
}
