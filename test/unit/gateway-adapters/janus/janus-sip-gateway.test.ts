// A callee that refuses at once (a PBX's 503, or Janus's own when nothing listens at the bot URI)
// reaches the gateway as a SIP plugin hangup before Janus has acknowledged the call's trickle. A
// double stands in for Janus here: the real one can't be made to order those two messages on demand.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { JanusError } from '../../../../gateway-adapters/janus/errors.js';
import { JanusSipGateway } from '../../../../gateway-adapters/janus/janus-sip-gateway.js';

const SESSION_ID = 11;
const HANDLE_ID = 22;
const PLUGIN = 'janus.plugin.sip';

type Request = { janus: string; transaction: string; body?: { request?: string } };

// Janus's answers to the gateway's requests; the call is refused with 503 right after "calling".
function answer(socket: WebSocket, request: Request): void {
  const send = (message: Record<string, unknown>): void => socket.send(JSON.stringify({ session_id: SESSION_ID, ...message }));
  const pluginEvent = (result: Record<string, unknown>, transaction?: string): void =>
    send({ janus: 'event', sender: HANDLE_ID, ...(transaction ? { transaction } : {}), plugindata: { plugin: PLUGIN, data: { sip: 'event', result } } });
  const { transaction } = request;
  switch (request.janus) {
    case 'create':
      return send({ janus: 'success', transaction, data: { id: SESSION_ID } });
    case 'attach':
      return send({ janus: 'success', transaction, data: { id: HANDLE_ID } });
    case 'message':
      send({ janus: 'ack', transaction });
      if (request.body?.request === 'register') return pluginEvent({ event: 'registered' }, transaction);
      if (request.body?.request === 'call') {
        pluginEvent({ event: 'calling' }, transaction);
        return pluginEvent({ event: 'hangup', code: 503, reason: 'Service Unavailable' });
      }
      return pluginEvent({ event: request.body?.request ?? 'unknown' }, transaction);
    default:
      return send({ janus: request.janus === 'trickle' || request.janus === 'keepalive' ? 'ack' : 'success', transaction });
  }
}

describe('JanusSipGateway', () => {
  const unhandled: unknown[] = [];
  const collect = (reason: unknown): void => void unhandled.push(reason);
  let server: WebSocketServer | undefined;

  afterEach(async () => {
    process.off('unhandledRejection', collect);
    server?.close();
    if (server) await once(server, 'close');
  });

  it('rejects the call with the refusal, and nothing is left unhandled, when the callee refuses before the trickle is acknowledged', async () => {
    process.on('unhandledRejection', collect);
    server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(server, 'listening');
    server.on('connection', (socket) => socket.on('message', (data: Buffer) => answer(socket, JSON.parse(data.toString()) as Request)));
    const { port } = server.address() as AddressInfo;
    const gateway = new JanusSipGateway(
      { url: `ws://127.0.0.1:${port}`, tokenSecret: 'secret', botUri: 'sip:7000@127.0.0.1', srtp: 'none', maxCallSeconds: 60, setupTimeoutMs: 5000 },
      pino({ level: 'silent' }),
    );

    const refused = await gateway.connect('call-1', 'v=0\r\n').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(JanusError);
    expect((refused as Error).message).toMatch(/hangup \(503 Service Unavailable\)/);
    // A rejection counts as unhandled once the microtasks drain after it: one macrotask turn.
    await new Promise((resolve) => setImmediate(resolve));
    expect(unhandled).toEqual([]);
  });
});
