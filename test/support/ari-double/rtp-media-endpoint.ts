// Asterisk's side of an ExternalMedia UnicastRTP channel: a real UDP socket on 127.0.0.1 (its
// port is what UNICASTRTP_LOCAL_PORT says), which, once the channel is bridged with a caller,
// sends the caller's audio as RTP to external_host every 20 ms and records what comes back.
// RTP with werift's classes, an implementation independent of Parley's.
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { RtpHeader, RtpPacket } from 'werift';
import type { AudioFormat } from './audio-formats.js';

export interface ReceivedPacket {
  sequenceNumber: number;
  timestamp: number;
  payloadType: number;
  payload: Buffer;
}

export class RtpMediaEndpoint {
  readonly received: ReceivedPacket[] = [];
  wrongPayloadType = 0;
  private target: { host: string; port: number } | undefined;
  private encoded: Uint8Array = new Uint8Array(0);
  private silenceFrame: Uint8Array = new Uint8Array(0);
  private startMs = 0;
  private sent = 0;
  private running = false;
  private readonly ssrc = (Math.random() * 0xffffffff) >>> 0;
  private waiters: Array<{ count: number; resolve: () => void }> = [];

  private constructor(
    private readonly socket: Socket,
    readonly format: AudioFormat,
  ) {
    socket.on('message', (message) => this.onPacket(message));
  }

  static async open(format: AudioFormat): Promise<RtpMediaEndpoint> {
    const socket = createSocket('udp4');
    socket.bind(0, '127.0.0.1');
    await once(socket, 'listening');
    return new RtpMediaEndpoint(socket, format);
  }

  get port(): number {
    return this.socket.address().port;
  }

  setTarget(host: string, port: number): void {
    this.target = { host, port };
  }

  // The bridge joined this channel with a caller: start the caller's audio (then silence).
  start(callerAudio: Int16Array): void {
    if (this.running) return;
    // The caller's audio and a second of silence, coded as one stream; then silent frames.
    const padded = new Int16Array(callerAudio.length + this.format.rateHz);
    padded.set(callerAudio);
    this.encoded = this.format.encode(padded);
    this.silenceFrame = this.format.encode(new Int16Array(this.format.rateHz / 50));
    this.running = true;
    this.startMs = performance.now();
  }

  // Sends every frame due by now (called by the double's 20 ms ticker; catches up after a late timer).
  tick(nowMs: number): void {
    if (!this.running || this.target === undefined) return;
    const bytes = this.format.frameBytes;
    const due = Math.floor((nowMs - this.startMs) / 20) + 1;
    for (; this.sent < due; this.sent++) {
      const start = this.sent * bytes;
      const payload = start + bytes <= this.encoded.length ? this.encoded.subarray(start, start + bytes) : this.silenceFrame;
      const header = new RtpHeader({
        version: 2,
        payloadType: this.format.payloadType,
        sequenceNumber: (4000 + this.sent) & 0xffff,
        timestamp: (90_000 + this.sent * this.format.timestampStep) >>> 0,
        ssrc: this.ssrc,
        marker: this.sent === 0,
      });
      this.socket.send(new RtpPacket(header, Buffer.from(payload)).serialize(), this.target.port, this.target.host);
    }
  }

  get framesSent(): number {
    return this.sent;
  }

  // What the caller heard: the received payloads decoded, in sequence order.
  heard(): Int16Array {
    const ordered = [...this.received].sort((a, b) => ((a.sequenceNumber - b.sequenceNumber + 0x8000) & 0xffff) - 0x8000);
    return this.format.decode(Buffer.concat(ordered.map((packet) => packet.payload)));
  }

  waitForPackets(count: number): Promise<void> {
    if (this.received.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  close(): void {
    this.running = false;
    this.socket.close();
  }

  private onPacket(message: Buffer): void {
    let packet: RtpPacket;
    try {
      packet = RtpPacket.deSerialize(message);
    } catch {
      return;
    }
    // Asterisk's UnicastRTP only accepts the channel's format (static payload types).
    if (packet.header.payloadType !== this.format.payloadType) {
      this.wrongPayloadType++;
      return;
    }
    this.received.push({
      sequenceNumber: packet.header.sequenceNumber,
      timestamp: packet.header.timestamp,
      payloadType: packet.header.payloadType,
      payload: packet.payload,
    });
    this.waiters = this.waiters.filter((waiter) => {
      if (this.received.length < waiter.count) return true;
      waiter.resolve();
      return false;
    });
  }
}
