// A TCP relay in front of Asterisk's HTTP server, so a test can cut the ARI event socket (and only
// it) the way a network failure would, while Asterisk itself stays up. Each connection's first
// bytes (its HTTP request line) say what it is.
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export class TcpProxy {
  private readonly connections = new Map<Socket, { upstream: Socket; requestLine: string }>();

  private constructor(private readonly server: Server) {}

  static async start(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
    const server = createServer();
    const proxy = new TcpProxy(server);
    server.on('connection', (client) => {
      const upstream = createConnection({ host: targetHost, port: targetPort });
      const entry = { upstream, requestLine: '' };
      proxy.connections.set(client, entry);
      client.once('data', (chunk: Buffer) => (entry.requestLine = chunk.toString('latin1').split('\r\n', 1)[0] ?? ''));
      client.pipe(upstream);
      upstream.pipe(client);
      const close = (): void => {
        proxy.connections.delete(client);
        client.destroy();
        upstream.destroy();
      };
      client.on('error', close).on('close', close);
      upstream.on('error', close).on('close', close);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  // Destroys every relayed connection whose request line starts with `prefix` (default: the ARI
  // event sockets); returns how many.
  cut(prefix = 'GET /ari/events'): number {
    let count = 0;
    for (const [client, { upstream, requestLine }] of this.connections) {
      if (!requestLine.startsWith(prefix)) continue;
      client.destroy();
      upstream.destroy();
      count++;
    }
    return count;
  }

  async close(): Promise<void> {
    for (const [client, { upstream }] of this.connections) {
      client.destroy();
      upstream.destroy();
    }
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
