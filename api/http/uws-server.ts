// HttpServer on uWebSockets.js. uWS rules kept here and nowhere else: the request object lives only
// until the first await (copy what is needed first), onAborted is set before any await, writes
// after an await are corked, and the listen token is kept for a clean close.
import { STATUS_CODES } from 'node:http';
import type { HttpRequest as UwsRequest, HttpResponse as UwsResponse, us_listen_socket, WebSocket } from 'uwebsockets';
import { loadUws, type UwsModule } from '../uws-loader.js';
import { SocketSet } from './socket-set.js';
import { badUrl, decodePath, MAX_BODY_BYTES, type HttpHandler, type HttpRequest, type HttpResponse, type HttpServer, type WsConnection, type WsHandlers } from './http-types.js';

const LIBUS_LISTEN_EXCLUSIVE_PORT = 1; // uSockets' ListenOptions

function statusLine(status: number): string {
  return `${status} ${STATUS_CODES[status] ?? ''}`;
}

function readRequest(res: UwsResponse, req: UwsRequest): Omit<HttpRequest, 'body'> {
  const headers: Record<string, string> = {};
  req.forEach((key, value) => {
    headers[key] = value;
  });
  return {
    method: req.getCaseSensitiveMethod().toUpperCase(),
    path: req.getUrl(),
    query: new URLSearchParams(req.getQuery() ?? ''),
    headers,
    remoteAddress: Buffer.from(res.getRemoteAddressAsText()).toString(),
  };
}

function writeResponse(res: UwsResponse, response: HttpResponse): void {
  res.cork(() => {
    res.writeStatus(statusLine(response.status));
    for (const [key, value] of Object.entries(response.headers ?? {})) res.writeHeader(key, value);
    res.end(response.body ?? '');
  });
}

interface Connection<State> {
  state: State;
  connection: WsConnection;
}

export class UwsServer implements HttpServer {
  private readonly uws: UwsModule;
  private readonly app;
  private listenSocket: us_listen_socket | undefined;
  private readonly sockets = new SocketSet();
  readonly source: 'official' | 'pinned-republish';

  constructor() {
    const loaded = loadUws();
    this.uws = loaded.uws;
    this.source = loaded.source;
    this.app = this.uws.App();
  }

  route(method: 'GET' | 'POST' | 'OPTIONS', path: string, handler: HttpHandler): void {
    const register = { GET: this.app.get, POST: this.app.post, OPTIONS: this.app.options }[method].bind(this.app);
    register(path, (res, req) => this.serve(res, req, handler));
  }

  fallback(handler: HttpHandler): void {
    this.app.any('/*', (res, req) => this.serve(res, req, handler));
  }

  private serve(res: UwsResponse, req: UwsRequest, handler: HttpHandler): void {
    const request = readRequest(res, req);
    if (decodePath(request.path) === undefined) {
      writeResponse(res, badUrl());
      return;
    }
    let aborted = false;
    res.onAborted(() => {
      aborted = true;
    });
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = async (): Promise<void> => {
      let response: HttpResponse;
      try {
        response = await handler({ ...request, body: Buffer.concat(chunks) });
      } catch {
        response = { status: 500, headers: { 'content-type': 'application/json' }, body: '{"error":"internal"}' };
      }
      if (!aborted) writeResponse(res, response);
    };
    if (request.method === 'GET' || request.method === 'OPTIONS') {
      void finish();
      return;
    }
    res.onData((chunk, isLast) => {
      size += chunk.byteLength;
      if (size > MAX_BODY_BYTES) {
        if (!aborted) {
          aborted = true;
          writeResponse(res, { status: 413, headers: { 'content-type': 'application/json' }, body: '{"error":"body_too_large"}' });
        }
        return;
      }
      // uWS reuses the chunk's memory after this callback returns: copy it.
      chunks.push(Buffer.from(new Uint8Array(chunk.slice(0))));
      if (isLast) void finish();
    });
  }

  websocket<State>(path: string, handlers: WsHandlers<State>, options: { maxPayloadBytes: number }): void {
    this.app.ws<Connection<State>>(path, {
      maxPayloadLength: options.maxPayloadBytes,
      idleTimeout: 60,
      upgrade: (res, req, context) => {
        const request = readRequest(res, req);
        const key = req.getHeader('sec-websocket-key');
        const protocol = req.getHeader('sec-websocket-protocol');
        const extensions = req.getHeader('sec-websocket-extensions');
        let aborted = false;
        res.onAborted(() => {
          aborted = true;
        });
        void (async () => {
          const decision = await handlers.upgrade({ ...request, body: Buffer.alloc(0) });
          if (aborted) return;
          if ('refuse' in decision) {
            writeResponse(res, decision.refuse);
            return;
          }
          res.cork(() => {
            res.upgrade({ state: decision.state, connection: undefined as unknown as WsConnection }, key, protocol, extensions, context);
          });
        })();
      },
      open: (ws) => {
        const data = ws.getUserData();
        data.connection = wrapSocket(ws);
        this.sockets.add(data.connection);
        handlers.open(data.connection, data.state);
      },
      message: (ws, message, isBinary) => {
        const data = ws.getUserData();
        handlers.message(data.connection, data.state, Buffer.from(new Uint8Array(message.slice(0))), isBinary);
      },
      close: (ws, code) => {
        const data = ws.getUserData();
        (data.connection as ClosableConnection).closed = true;
        this.sockets.delete(data.connection);
        handlers.close(data.connection, data.state, code);
      },
    });
  }

  // uSockets listens with SO_REUSEPORT unless told otherwise: a second process (a stale node,
  // another test) could then bind the same port and silently take a share of the connections, so
  // that a grant from one node meets a signaling socket on the other. Exclusive: that bind fails.
  // (The typings list the options argument only without a host; the binding takes both.)
  listen(host: string, port: number): Promise<number> {
    const listen = this.app.listen as unknown as (host: string, port: number, options: number, cb: (socket: us_listen_socket | false) => void) => void;
    return new Promise((resolve, reject) => {
      listen.call(this.app, host, port, LIBUS_LISTEN_EXCLUSIVE_PORT, (socket) => {
        if (!socket) {
          reject(new Error(`cannot listen on ${host}:${port}`));
          return;
        }
        this.listenSocket = socket;
        resolve(this.uws.us_socket_local_port(socket as unknown as Parameters<UwsModule['us_socket_local_port']>[0]));
      });
    });
  }

  get openSockets(): number {
    return this.sockets.size;
  }

  whenNoSockets(): Promise<void> {
    return this.sockets.whenEmpty();
  }

  // The listen token closes the port only after the sockets are gone: a drain keeps serving its
  // signaling sockets to the end, and app.close() alone would cut them without a close frame.
  async close(goingAway?: { code: number; reason: string }): Promise<void> {
    if (goingAway) await this.sockets.closeAll(goingAway);
    if (this.listenSocket) this.uws.us_listen_socket_close(this.listenSocket);
    this.listenSocket = undefined;
    this.app.close();
  }
}

interface ClosableConnection extends WsConnection {
  closed: boolean;
}

function wrapSocket<T>(ws: WebSocket<T>): ClosableConnection {
  const connection: ClosableConnection = {
    closed: false,
    send(message) {
      if (connection.closed) return;
      ws.send(message, typeof message !== 'string');
    },
    close(code = 1000, reason = '') {
      if (connection.closed) return;
      connection.closed = true;
      ws.end(code, reason);
    },
    get bufferedAmount() {
      return connection.closed ? 0 : ws.getBufferedAmount();
    },
  };
  return connection;
}
