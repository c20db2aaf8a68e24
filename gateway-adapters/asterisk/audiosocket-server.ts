// Parley's AudioSocket listener (ExternalMedia with encapsulation=audiosocket, transport=tcp):
// Asterisk's chan_audiosocket connects out to external_host while `POST /channels/externalMedia`
// runs and sends the UUID Parley passed as `data`. A call registers its UUID before that request;
// a connection is matched to its call by that UUID, and refused (counted, logged, closed) when it
// sends something else first, an unknown UUID, nothing within the timeout, or exceeds the limit.
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { countRefused } from '../../engine/metrics.js';
import { AudioSocketConnection } from './audiosocket-connection.js';
import { AriProtocolError } from './errors.js';

export interface AudioSocketServerOptions {
  host: string;
  port: number;
  maxConnections: number;
  // How long a connection may stay without a UUID, and a call may wait for its connection.
  timeoutMs: number;
  logger: Logger;
}

export class AudioSocketServer {
  private readonly server: Server;
  private readonly open = new Set<Socket>();
  private readonly waiters = new Map<string, (connection: AudioSocketConnection) => void>();

  constructor(private readonly options: AudioSocketServerOptions) {
    this.server = createServer((socket) => this.accept(socket));
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
  expect(uuid: string): { connection: Promise<AudioSocketConnection>; cancel: () => void } {
    let timer: NodeJS.Timeout | undefined;
    const cancel = (): void => {
      clearTimeout(timer);
      this.waiters.delete(uuid);
    };
    const connection = new Promise<AudioSocketConnection>((resolve, reject) => {
      timer = setTimeout(() => {
        this.waiters.delete(uuid);
        reject(new AriProtocolError(`Asterisk did not open the AudioSocket connection ${uuid} within ${this.options.timeoutMs} ms`));
      }, this.options.timeoutMs);
      this.waiters.set(uuid, (accepted) => {
        clearTimeout(timer);
        resolve(accepted);
      });
    });
    return { connection, cancel };
  }

  async close(): Promise<void> {
    for (const socket of this.open) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    const logger = this.options.logger;
    if (this.open.size >= this.options.maxConnections) {
      countRefused('audiosocket', 'too_many_connections');
      logger.warn({ remote: socket.remoteAddress, limit: this.options.maxConnections }, 'refusing an AudioSocket connection over the limit');
      socket.destroy();
      return;
    }
    this.open.add(socket);
    const connection = new AudioSocketConnection(socket, logger, (matched, uuid) => {
      clearTimeout(uuidTimer);
      const waiter = this.waiters.get(uuid);
      if (waiter === undefined) {
        matched.refuse('unknown_uuid', 'no call expects this UUID');
        return;
      }
      this.waiters.delete(uuid);
      waiter(matched);
    });
    const uuidTimer = setTimeout(() => connection.refuse('no_uuid', `no UUID within ${this.options.timeoutMs} ms`), this.options.timeoutMs);
    socket.on('close', () => {
      clearTimeout(uuidTimer);
      this.open.delete(socket);
    });
  }
}
