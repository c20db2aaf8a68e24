// One TCP connection Asterisk's chan_audiosocket opened to Parley, past its UUID (read by
// audiosocket-server.ts in the control plane, which handed the socket to where the call's media
// runs): decodes its frames and hands them to the call's link. Any breach of the format is
// refused: counted, logged once with the call id, and the connection destroyed; other calls go on.
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
  private sink: AudioSocketSink | undefined;
  private finished = false;

  // `head`: bytes the control plane read past the UUID message, decoded before the socket's own.
  constructor(
    readonly socket: Socket,
    private readonly uuid: string,
    private readonly head: Uint8Array,
    private readonly logger: Logger,
  ) {
    socket.setNoDelay(true);
  }

  // The call's link takes the connection: reading starts here, so nothing is decoded before it
  // has somewhere to go.
  attach(sink: AudioSocketSink): void {
    const { socket } = this;
    this.sink = sink;
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
    if (this.head.length > 0) this.onData(this.head);
    socket.resume();
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

  private onData(chunk: Uint8Array): void {
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
      switch (frame.kind) {
        case AudioSocketKind.uuid:
          this.refuse('bad_uuid', 'a second UUID message');
          return;
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
