// SIP over TCP and TLS (RFC 3261 section 18): a listener whose connections are framed into
// messages (sip-stream-framer.ts) and kept for reuse: responses go back on the connection the
// request came in on (section 18.2.2), and in-dialog requests to that peer too. Bounded: the
// connections per source address and in all, the size of a message, and the idle time.
import { once } from 'node:events';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { createServer as createTlsServer } from 'node:tls';
import { SipFramingError } from './errors.js';
import { SipStreamFramer } from './sip-stream-framer.js';

export type StreamTransport = 'TCP' | 'TLS';

export interface StreamConnection {
  write(message: Buffer): void;
}

export interface StreamPeer {
  address: string;
  port: number;
  transport: StreamTransport;
  connection: StreamConnection;
}

export interface StreamLimits {
  maxMessageBytes: number;
  maxConnectionsPerSource: number;
  maxConnections: number;
  idleMs: number;
}

export interface StreamHandlers {
  allowed(address: string): boolean;
  message(message: Buffer, peer: StreamPeer): void;
  // A connection refused or closed for a reason (bounded set), with the source address.
  refused(reason: 'source_not_allowed' | 'too_many_connections' | 'framing' | 'idle', address: string): void;
}

export class SipStreamListener {
  private readonly perSource = new Map<string, number>();
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly transport: StreamTransport,
    private readonly limits: StreamLimits,
    private readonly handlers: StreamHandlers,
  ) {
    if (transport === 'TLS') {
      // No handshake for a source outside the allowlist; the rest is checked once it is secure.
      server.on('connection', (socket: Socket) => {
        if (this.handlers.allowed(socket.remoteAddress ?? '')) return;
        this.handlers.refused('source_not_allowed', socket.remoteAddress ?? '');
        socket.destroy();
      });
      server.on('secureConnection', (socket: Socket) => this.accept(socket));
    } else {
      server.on('connection', (socket: Socket) => this.accept(socket));
    }
    // A TLS handshake that fails (wrong version, garbage) ends that socket only.
    server.on('tlsClientError', (_error, socket) => socket.destroy());
  }

  static async listen(
    transport: StreamTransport,
    where: { host: string; port: number; certFile?: string; keyFile?: string },
    limits: StreamLimits,
    handlers: StreamHandlers,
  ): Promise<SipStreamListener> {
    const server =
      transport === 'TLS'
        ? createTlsServer({ cert: readFileSync(where.certFile!), key: readFileSync(where.keyFile!) })
        : createTcpServer();
    const listener = new SipStreamListener(server, transport, limits, handlers);
    server.listen(where.port, where.host);
    await once(server, 'listening');
    return listener;
  }

  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address ? address.port : 0;
  }

  get connections(): number {
    return this.sockets.size;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    const address = socket.remoteAddress ?? '';
    const port = socket.remotePort ?? 0;
    // TCP's handshake proves the source address, so refusing here costs the peer a round trip
    // and Parley nothing: no state is kept for a source outside the allowlist.
    if (!this.handlers.allowed(address)) {
      this.handlers.refused('source_not_allowed', address);
      socket.destroy();
      return;
    }
    const count = this.perSource.get(address) ?? 0;
    if (count >= this.limits.maxConnectionsPerSource || this.sockets.size >= this.limits.maxConnections) {
      this.handlers.refused('too_many_connections', address);
      socket.destroy();
      return;
    }
    this.perSource.set(address, count + 1);
    this.sockets.add(socket);
    socket.on('close', () => {
      this.sockets.delete(socket);
      const left = (this.perSource.get(address) ?? 1) - 1;
      if (left > 0) this.perSource.set(address, left);
      else this.perSource.delete(address);
    });
    socket.on('error', () => socket.destroy());
    socket.setTimeout(this.limits.idleMs, () => {
      this.handlers.refused('idle', address);
      socket.destroy();
    });
    const framer = new SipStreamFramer(this.limits.maxMessageBytes);
    const peer: StreamPeer = {
      address,
      port,
      transport: this.transport,
      connection: { write: (message) => void (socket.writable && socket.write(message)) },
    };
    socket.on('data', (chunk: Buffer) => {
      let messages: Buffer[];
      try {
        messages = framer.push(chunk);
      } catch (error) {
        if (!(error instanceof SipFramingError)) throw error;
        this.handlers.refused('framing', address);
        socket.destroy();
        return;
      }
      for (const message of messages) this.handlers.message(message, peer);
    });
  }
}
