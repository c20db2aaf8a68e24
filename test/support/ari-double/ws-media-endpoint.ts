// Asterisk's side of a chan_websocket ExternalMedia channel (format slin16), following the
// protocol in Asterisk's WebSocket channel driver documentation: TEXT MEDIA_START on connect,
// BINARY raw media both ways, 20 ms framing of what the app sends (leftover bytes that do not
// fill a frame are dropped), a frame queue with MEDIA_XOFF at ~900 and MEDIA_XON below ~800
// frames, FLUSH_MEDIA empties it, and a message over 65,500 bytes closes the socket and hangs
// up the call.
import type { WebSocket } from 'ws';

export const OPTIMAL_FRAME_BYTES = 640;
const MAX_MESSAGE_BYTES = 65_500;

export interface WsEndpointOptions {
  xoffFrames?: number;
  xonFrames?: number;
}

export class WsMediaEndpoint {
  readonly commands: string[] = [];
  // One entry per 20 ms the caller's side played: bot frames, or silence between them.
  private readonly played: Int16Array[] = [];
  private readonly queue: Buffer[] = [];
  private socket: WebSocket | undefined;
  private audio: Int16Array = new Int16Array(0);
  private startMs = 0;
  private sent = 0;
  private consumed = 0;
  private running = false;
  private xoff = false;
  oversizeMessages = 0;
  flushes = 0;
  flushedFrames = 0;
  xoffSent = 0;
  // Tests stall the consumer to see flow control at work.
  consumerStalled = false;
  private readonly xoffFrames: number;
  private readonly xonFrames: number;

  constructor(
    readonly connectionId: string,
    readonly channelName: string,
    private readonly onFatal: () => void,
    options: WsEndpointOptions = {},
  ) {
    this.xoffFrames = options.xoffFrames ?? 900;
    this.xonFrames = options.xonFrames ?? 800;
  }

  get connected(): boolean {
    return this.socket !== undefined;
  }

  attach(socket: WebSocket): void {
    this.socket = socket;
    socket.on('message', (data, isBinary) => this.onMessage(data as Buffer, isBinary));
    socket.on('close', () => {
      this.socket = undefined;
    });
    socket.send(`MEDIA_START connection_id:${this.connectionId} channel:${this.channelName} format:slin16 optimal_frame_size:${OPTIMAL_FRAME_BYTES} ptime:20`);
  }

  start(callerAudio: Int16Array): void {
    if (this.running) return;
    this.audio = callerAudio;
    this.running = true;
    this.startMs = performance.now();
  }

  tick(nowMs: number): void {
    if (!this.running || this.socket === undefined) return;
    const samples = OPTIMAL_FRAME_BYTES / 2;
    const due = Math.floor((nowMs - this.startMs) / 20) + 1;
    for (; this.sent < due; this.sent++) {
      const frame = new Int16Array(samples);
      const start = this.sent * samples;
      if (start < this.audio.length) frame.set(this.audio.subarray(start, Math.min(this.audio.length, start + samples)));
      this.socket.send(Buffer.from(frame.buffer), { binary: true });
      this.consume();
    }
  }

  get framesSent(): number {
    return this.sent;
  }

  get queuedFrames(): number {
    return this.queue.length;
  }

  heard(): Int16Array {
    const out = new Int16Array(this.played.length * (OPTIMAL_FRAME_BYTES / 2));
    this.played.forEach((frame, i) => out.set(frame, i * frame.length));
    return out;
  }

  close(): void {
    this.running = false;
    this.socket?.close(1000);
  }

  // One frame toward the caller per 20 ms, as the channel driver's timer does.
  private consume(): void {
    if (this.consumerStalled) return;
    const frame = this.queue.shift();
    if (frame !== undefined || this.consumed > 0) {
      const pcm = new Int16Array(OPTIMAL_FRAME_BYTES / 2);
      if (frame) Buffer.from(pcm.buffer).set(frame);
      this.played.push(pcm);
      this.consumed++;
    }
    if (this.xoff && this.queue.length < this.xonFrames) {
      this.xoff = false;
      this.socket?.send('MEDIA_XON');
    }
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (data.length > MAX_MESSAGE_BYTES) {
      this.oversizeMessages++;
      this.socket?.close(1009);
      this.onFatal();
      return;
    }
    if (!isBinary) {
      const command = data.toString('utf8');
      this.commands.push(command);
      if (command === 'FLUSH_MEDIA') {
        this.flushes++;
        this.flushedFrames += this.queue.length;
        this.queue.length = 0;
      }
      return;
    }
    for (let offset = 0; offset + OPTIMAL_FRAME_BYTES <= data.length; offset += OPTIMAL_FRAME_BYTES) {
      this.queue.push(Buffer.from(data.subarray(offset, offset + OPTIMAL_FRAME_BYTES)));
    }
    if (!this.xoff && this.queue.length >= this.xoffFrames) {
      this.xoff = true;
      this.xoffSent++;
      this.socket?.send('MEDIA_XOFF');
    }
  }
}
