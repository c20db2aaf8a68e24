// HttpServer on node:http and `ws`: the reference the bench measures uWebSockets.js against with
// the very same handlers (and a fallback for platforms the pinned uWS binary does not cover).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { SocketSet } from './socket-set.js';
import { badUrl, decodePath, MAX_BODY_BYTES, type HttpHandler, type HttpRequest, type HttpResponse, type HttpServer, type WsConnection, type WsHandlers } from './http-types.js';

export class NodeHttpServer implements HttpServer {
  private readonly routes = new Map<string, HttpHandler>();
  private fallbackHandler: HttpHandler | undefined;
  private readonly sockets = new Map<string, { server: WebSocketServer; upgrade: (request: HttpRequest) => Promise<unknown> }>();
  private readonly server: Server;
  private readonly open = new SocketSet();

  constructor() {
    this.server = createServer((req, res) => void this.serve(req, res));
    this.server.on('upgrade', (req, socket, head) => {
      const path = (req.url ?? '/').split('?')[0]!;
      const entry = this.sockets.get(path);
      if (!entry) {
        socket.destroy();
        return;
      }
      const request = this.describe(req);
      if (!request) {
        socket.destroy();
        return;
      }
      void entry.upgrade({ ...request, body: Buffer.alloc(0) }).then((decision) => {
        const typed = decision as { state: unknown } | { refuse: HttpResponse };
        if ('refuse' in typed) {
          const headers = Object.entries(typed.refuse.headers ?? {}).map(([key, value]) => `${key}: ${value}\r\n`).join('');
          socket.end(`HTTP/1.1 ${typed.refuse.status} Refused\r\n${headers}\r\n${typed.refuse.body ?? ''}`);
          return;
        }
        entry.server.handleUpgrade(req, socket, head, (ws) => entry.server.emit('connection', ws, typed.state));
      });
    });
  }

  route(method: 'GET' | 'POST' | 'OPTIONS', path: string, handler: HttpHandler): void {
    this.routes.set(`${method} ${path}`, handler);
  }

  fallback(handler: HttpHandler): void {
    this.fallbackHandler = handler;
  }

  // undefined: a request target that is not a URL path (answered 400).
  private describe(req: IncomingMessage): Omit<HttpRequest, 'body'> | undefined {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://local');
    } catch {
      return undefined;
    }
    if (decodePath(url.pathname) === undefined) return undefined;
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(req.headers)) headers[key] = Array.isArray(value) ? value.join(', ') : (value ?? '');
    return { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers, remoteAddress: req.socket.remoteAddress ?? '' };
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const request = this.describe(req);
    if (!request) {
      const refusal = badUrl();
      res.writeHead(refusal.status, refusal.headers).end(refusal.body);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY_BYTES) {
        res.writeHead(413, { 'content-type': 'application/json' }).end('{"error":"body_too_large"}');
        return;
      }
      chunks.push(chunk as Buffer);
    }
    const handler = this.routes.get(`${request.method} ${request.path}`) ?? (request.method === 'GET' ? this.fallbackHandler : undefined);
    let response: HttpResponse;
    try {
      response = handler ? await handler({ ...request, body: Buffer.concat(chunks) }) : { status: 404, body: '' };
    } catch {
      response = { status: 500, headers: { 'content-type': 'application/json' }, body: '{"error":"internal"}' };
    }
    res.writeHead(response.status, response.headers).end(response.body ?? '');
  }

  websocket<State>(path: string, handlers: WsHandlers<State>, options: { maxPayloadBytes: number }): void {
    const server = new WebSocketServer({ noServer: true, maxPayload: options.maxPayloadBytes });
    server.on('connection', (ws: WebSocket, state: State) => {
      const connection: WsConnection = {
        send: (message) => ws.send(message),
        close: (code, reason) => ws.close(code, reason),
        get bufferedAmount() {
          return ws.bufferedAmount;
        },
      };
      this.open.add(connection);
      handlers.open(connection, state);
      ws.on('message', (data: Buffer, isBinary: boolean) => handlers.message(connection, state, data, isBinary));
      ws.on('close', (code: number) => {
        this.open.delete(connection);
        handlers.close(connection, state, code);
      });
    });
    this.sockets.set(path, { server, upgrade: async (request) => handlers.upgrade(request) });
  }

  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        const address = this.server.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  }

  get openSockets(): number {
    return this.open.size;
  }

  whenNoSockets(): Promise<void> {
    return this.open.whenEmpty();
  }

  async close(goingAway?: { code: number; reason: string }): Promise<void> {
    if (goingAway) await this.open.closeAll(goingAway);
    for (const { server } of this.sockets.values()) for (const client of server.clients) client.terminate();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
