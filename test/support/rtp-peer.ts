// The far end of an RTP leg in tests: a real UDP socket on 127.0.0.1 that sends paced RTP and
// records what comes back, with werift's RTP classes (an implementation independent of ours).
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { RtpHeader, RtpPacket } from 'werift';

export interface ReceivedRtp {
  packet: RtpPacket;
  arrivalMs: number;
}

export interface StreamOptions {
  payloadType: number;
  ssrc: number;
  firstSeq?: number;
  firstTimestamp?: number;
  samplesPerFrame: number; // RTP timestamp units per packet
  ptimeMs?: number;
}

export class RtpPeer {
  readonly received: ReceivedRtp[] = [];
  private closed = false;
  // Called with each packet as it arrives (after it is recorded).
  onPacket: ((packet: RtpPacket) => void) | undefined;
  private waiters: Array<{ count: number; resolve: () => void }> = [];

  private constructor(private readonly socket: Socket) {
    socket.on('message', (message) => {
      const packet = RtpPacket.deSerialize(message);
      this.received.push({ packet, arrivalMs: performance.now() });
      this.onPacket?.(packet);
      this.waiters = this.waiters.filter((waiter) => {
        if (this.received.length < waiter.count) return true;
        waiter.resolve();
        return false;
      });
    });
  }

  static async open(): Promise<RtpPeer> {
    const socket = createSocket('udp4');
    socket.bind(0, '127.0.0.1');
    await once(socket, 'listening');
    return new RtpPeer(socket);
  }

  get port(): number {
    return this.socket.address().port;
  }

  sendRaw(bytes: Uint8Array, port: number): void {
    this.socket.send(bytes, port, '127.0.0.1');
  }

  send(header: Partial<RtpHeader>, payload: Uint8Array, port: number): void {
    const packet = new RtpPacket(new RtpHeader({ version: 2, ...header }), Buffer.from(payload));
    this.sendRaw(packet.serialize(), port);
  }

  // Sends one payload per ptime on a timer (the traffic's shape, not a synchronisation).
  async stream(payloads: Uint8Array[], port: number, options: StreamOptions): Promise<void> {
    const ptimeMs = options.ptimeMs ?? 20;
    const start = performance.now();
    for (let i = 0; i < payloads.length; i++) {
      const due = start + i * ptimeMs;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      // Closed meanwhile (a test ends while its stream still runs).
      if (this.closed) return;
      this.send(
        {
          payloadType: options.payloadType,
          ssrc: options.ssrc,
          sequenceNumber: ((options.firstSeq ?? 1000) + i) & 0xffff,
          timestamp: ((options.firstTimestamp ?? 50_000) + i * options.samplesPerFrame) >>> 0,
          marker: i === 0,
        },
        payloads[i]!,
        port,
      );
    }
  }

  // Resolves once `count` packets in total have arrived.
  waitFor(count: number): Promise<void> {
    if (this.received.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  close(): void {
    this.closed = true;
    this.socket.close();
  }
}
