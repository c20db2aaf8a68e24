// The API's own view of HTTP and WebSocket, so handlers never see a server library's types: the
// same handlers run on uWebSockets.js in production and on node:http in the bench comparison.
import { countRefused } from '../../engine/metrics.js';

export interface HttpRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  // Lower-case header names.
  headers: Record<string, string>;
  remoteAddress: string;
  body: Buffer;
}

export interface HttpResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export type HttpHandler = (request: HttpRequest) => HttpResponse | Promise<HttpResponse>;

export interface WsConnection {
  send(message: string | Buffer): void;
  close(code?: number, reason?: string): void;
  readonly bufferedAmount: number;
}

export interface WsHandlers<State> {
  // Decides on the upgrade: a state to attach to the connection, or an HTTP refusal.
  upgrade(request: HttpRequest): { state: State } | { refuse: HttpResponse } | Promise<{ state: State } | { refuse: HttpResponse }>;
  open(connection: WsConnection, state: State): void;
  message(connection: WsConnection, state: State, data: Buffer, isBinary: boolean): void;
  close(connection: WsConnection, state: State, code: number): void;
}

export interface HttpServer {
  route(method: 'GET' | 'POST' | 'OPTIONS', path: string, handler: HttpHandler): void;
  // Serves any GET not otherwise routed (static files).
  fallback(handler: HttpHandler): void;
  websocket<State>(path: string, handlers: WsHandlers<State>, options: { maxPayloadBytes: number }): void;
  listen(host: string, port: number): Promise<number>;
  // WebSockets open now, and a promise settled once none is (the drain waits on it).
  readonly openSockets: number;
  whenNoSockets(): Promise<void>;
  // Closes the WebSockets still open with `goingAway` (RFC 6455 section 7.4.1: 1001 going away)
  // when given, then stops listening and closes.
  close(goingAway?: { code: number; reason: string }): Promise<void>;
}

export const MAX_BODY_BYTES = 16 * 1024;

// The path with its %HH escapes decoded, or undefined when an escape is malformed (RFC 3986
// section 2.1): the sender's error, answered 400 by the servers before any handler runs.
export function decodePath(path: string): string | undefined {
  try {
    return decodeURIComponent(path);
  } catch {
    return undefined;
  }
}

export function badUrl(): HttpResponse {
  countRefused('http', 'bad_url');
  return { status: 400, headers: { 'content-type': 'application/json' }, body: '{"error":"bad_url"}' };
}
