// Parley's AudioSocket listener (ExternalMedia with encapsulation=audiosocket, transport=tcp):
// Asterisk's chan_audiosocket connects out to external_host while `POST /channels/externalMedia`
// runs and sends the UUID Parley passed as `data`. A call registers its UUID before that request;
// this process reads each connection up to its UUID only, then hands the socket (and any bytes
// read past the UUID) to the call, whose leg carries it where its media runs (a media worker).
// Refused (counted, logged, closed): something else first, an unknown UUID, nothing within the
// timeout, more connections than the limit.
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { countRefused } from '../../engine/metrics.js';
import { AudioSocketDecoder, AudioSocketKind, HEADER_BYTES, UUID_BYTES } from './audiosocket-frame.js';
import { AudioSocketFrameError, type AudioSocketRefusal } from './errors.js';
import { SocketWaiters } from './socket-waiters.js';

export interface AudioSocketServerOptions {
  host: string;
  port: number;
  maxConnections: number;
  // How long a connection may stay without a UUID, and a call may wait for its connection.
  timeoutMs: number;
  logger: Logger;
}

// A connection that presented its call's UUID; `head`: what was read past the UUID message.
export interface AcceptedAudioSocket {
  socket: Socket;
  uuid: string;
  head: Uint8Array;
}

export class AudioSocketServer {
  private readonly server: Server;
  private readonly open = new Set<Socket>();
  private readonly waiters: SocketWaiters<AcceptedAudioSocket>;

  constructor(private readonly options: AudioSocketServerOptions) {
    this.server = createServer((socket) => this.accept(socket));
    this.waiters = new SocketWaiters('AudioSocket connection', options.timeoutMs);
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address !== null ? address.port : 0;
  }

  // Resolves with the connection that presents `uuid`. Call before asking Asterisk to connect.
  expect(uuid: string): { accepted: Promise<AcceptedAudioSocket>; cancel: () => void } {
    return this.waiters.expect(uuid);
  }

  async close(): Promise<void> {
    for (const socket of this.open) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    const { logger, timeoutMs, maxConnections } = this.options;
    if (this.open.size >= maxConnections) {
      countRefused('audiosocket', 'too_many_connections');
      logger.warn({ remote: socket.remoteAddress, limit: maxConnections }, 'refusing an AudioSocket connection over the limit');
      socket.destroy();
      return;
    }
    this.open.add(socket);
    const decoder = new AudioSocketDecoder();
    const read: Buffer[] = [];
    let done = false;
    const refuse = (reason: AudioSocketRefusal, detail: string, uuid?: string): void => {
      if (done) return;
      done = true;
      countRefused('audiosocket', reason);
      logger.warn({ reason, uuid, detail }, 'refusing an AudioSocket connection');
      socket.destroy();
    };
    const timer = setTimeout(() => refuse('no_uuid', `no UUID within ${timeoutMs} ms`), timeoutMs);
    const onData = (chunk: Buffer): void => {
      if (done) return;
      read.push(chunk);
      let first;
      try {
        first = decoder.push(chunk)[0];
      } catch (error) {
        // Nothing thrown from a socket handler may reach the process: anything else is refused too.
        refuse(error instanceof AudioSocketFrameError ? error.reason : 'decode_failed', error instanceof Error ? error.message : String(error));
        return;
      }
      if (first === undefined) return;
      if (first.kind !== AudioSocketKind.uuid) {
        refuse('audio_before_uuid', `kind 0x${first.kind.toString(16)} before the UUID`);
        return;
      }
      done = true;
      clearTimeout(timer);
      // Nothing more is read here: the rest of the stream belongs to where the call's media runs.
      socket.pause();
      socket.off('data', onData);
      socket.off('end', onEnd);
      const head = new Uint8Array(Buffer.concat(read).subarray(HEADER_BYTES + UUID_BYTES));
      if (!this.waiters.deliver(first.uuid, { socket, uuid: first.uuid, head })) {
        done = false;
        refuse('unknown_uuid', 'no call expects this UUID', first.uuid);
      }
    };
    const onEnd = (): void => {
      if (decoder.bufferedBytes > 0) refuse('truncated', `${decoder.bufferedBytes} bytes of an unfinished frame at end of stream`);
      else socket.end();
    };
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('error', (error) => logger.warn({ err: error }, 'AudioSocket connection error'));
    socket.on('close', () => {
      clearTimeout(timer);
      this.open.delete(socket);
    });
  }
}
