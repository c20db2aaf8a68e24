// chan_websocket client mode: Asterisk dials out to Parley (websocket_client.conf) for each call.
// ExternalMedia's transport_data `v(parley_call=<callId>)` makes Asterisk add the call id to the
// URI's query (chan_websocket's v() dial option), so this process knows the call from the upgrade
// request alone; it hands the raw socket, the request and the bytes read past it to the call,
// whose leg finishes the WebSocket upgrade where the call's media runs (a media worker). MEDIA_START
// then names the channel, which the link checks against the call's own.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { asteriskMetrics } from './asterisk-metrics.js';
import { SocketWaiters } from './socket-waiters.js';

export const CALL_QUERY_PARAM = 'parley_call';

export interface UpgradeRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
}

// An upgrade request for a call, not yet answered: the leg completes the handshake.
export interface AcceptedUpgrade {
  socket: Socket;
  request: UpgradeRequest;
  head: Uint8Array;
}

export class MediaWebSocketListener {
  private readonly server: Server;
  private readonly waiters: SocketWaiters<AcceptedUpgrade>;

  constructor(
    private readonly host: string,
    private readonly port: number,
    timeoutMs: number,
    private readonly logger: Logger,
  ) {
    this.waiters = new SocketWaiters('chan_websocket connection of call', timeoutMs);
    this.server = createServer((_request, response) => response.writeHead(426).end());
    this.server.on('upgrade', (request: IncomingMessage, socket: Socket, head: Buffer) => this.onUpgrade(request, socket, head));
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.port, this.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  get boundPort(): number | undefined {
    const address = this.server.address();
    return typeof address === 'object' && address !== null ? address.port : undefined;
  }

  // Resolves with the upgrade request that names `callId`. Call before asking Asterisk to dial.
  expect(callId: string): { accepted: Promise<AcceptedUpgrade>; cancel: () => void } {
    return this.waiters.expect(callId);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private onUpgrade(request: IncomingMessage, socket: Socket, head: Buffer): void {
    const callId = new URL(request.url ?? '/', 'ws://asterisk').searchParams.get(CALL_QUERY_PARAM) ?? '';
    socket.pause();
    const accepted = { socket, request: { method: request.method ?? '', url: request.url ?? '', headers: request.headers }, head: new Uint8Array(head) };
    if (callId !== '' && this.waiters.deliver(callId, accepted)) return;
    asteriskMetrics.wsMedia.inc({ kind: 'unclaimed_socket' });
    this.logger.warn({ url: (request.url ?? '').slice(0, 200) }, 'refusing a media socket no call expects');
    socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
  }
}
