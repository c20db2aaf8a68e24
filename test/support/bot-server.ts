// A bot in tests: a real WebSocket server on 127.0.0.1 that records what Parley sends it (JSON
// events and binary frames, in order) and lets the test answer as a bot would.
import type { IncomingMessage } from 'node:http';
import { once } from 'node:events';
import { WebSocketServer, type WebSocket } from 'ws';

export type BotEvent = { event: string } & Record<string, unknown>;

export class BotPeer {
  readonly events: BotEvent[] = [];
  readonly audio: Buffer[] = [];
  // Every message in arrival order ('binary' for audio frames), to check ordering.
  readonly sequence: string[] = [];
  closeCode: number | undefined;
  private waiters: Array<() => void> = [];

  constructor(
    readonly socket: WebSocket,
    readonly request: IncomingMessage,
  ) {
    socket.on('message', (data: Buffer, isBinary) => {
      if (isBinary) {
        this.audio.push(Buffer.from(data));
        this.sequence.push('binary');
      } else {
        const event = JSON.parse(data.toString('utf8')) as BotEvent;
        this.events.push(event);
        this.sequence.push(event.event);
      }
      this.wake();
    });
    socket.on('close', (code) => {
      this.closeCode = code;
      this.wake();
    });
  }

  named(event: string): BotEvent[] {
    return this.events.filter((e) => e.event === event);
  }

  // Resolves when `predicate` holds, re-checked on every message and on close.
  until(predicate: () => boolean): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = (): void => {
        if (predicate()) resolve();
        else this.waiters.push(check);
      };
      this.waiters.push(check);
    });
  }

  send(data: string | Buffer | object): void {
    this.socket.send(typeof data === 'object' && !Buffer.isBuffer(data) ? JSON.stringify(data) : data);
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter();
  }
}

export class BotServer {
  readonly peers: BotPeer[] = [];
  private waiters: Array<() => void> = [];

  private constructor(private readonly server: WebSocketServer) {
    server.on('connection', (socket, request) => {
      this.peers.push(new BotPeer(socket, request));
      const waiters = this.waiters;
      this.waiters = [];
      for (const waiter of waiters) waiter();
    });
  }

  static async start(options: ConstructorParameters<typeof WebSocketServer>[0] = {}): Promise<BotServer> {
    const server = new WebSocketServer({ ...options, host: '127.0.0.1', port: 0 });
    await once(server, 'listening');
    return new BotServer(server);
  }

  get url(): string {
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
    return `ws://127.0.0.1:${address.port}/bot`;
  }

  // The `index`th connection (0: the first), once it is there.
  async peer(index = 0): Promise<BotPeer> {
    while (this.peers.length <= index) await new Promise<void>((resolve) => this.waiters.push(resolve));
    return this.peers[index]!;
  }

  async close(): Promise<void> {
    for (const peer of this.peers) peer.socket.terminate();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
