// SIP over TCP and TLS on the direct endpoint (RFC 3261 section 18): a whole call over TLS with a
// self-signed certificate made here with openssl (Node's TLS client, OpenSSL, on the other end),
// and the stream bounds: connections per source, framing, idle time. Real sockets on 127.0.0.1.
// baresip over TCP is in baresip.test.ts.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect as tcpConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CallRegistry } from '../../../engine/call/call-registry.js';
import { CallService } from '../../../engine/call/call-service.js';
import { MediaEngine } from '../../../engine/media/media-engine.js';
import { registry } from '../../../engine/metrics.js';
import { SipEndpoint } from '../../../gateway-adapters/sip/sip-endpoint.js';
import type { SipEndpointOptions } from '../../../gateway-adapters/sip/sip-endpoint-options.js';
import { parseSipMessage, type SipMessage } from '../../../gateway-adapters/sip/sip-message.js';
import { SipStreamFramer } from '../../../gateway-adapters/sip/sip-stream-framer.js';
import { selfSignedCert } from '../../support/self-signed-cert.js';
import { offerSdp } from '../../support/sip-client.js';

const logger = pino({ level: 'silent' });
const WAIT_MS = 5000;

// One SIP stream connection from the test: what it sends is framed by Content-Length, what
// comes back is framed the same way and parsed.
class StreamClient {
  readonly received: SipMessage[] = [];
  closed = false;
  private readonly waiters: Array<() => void> = [];

  constructor(readonly socket: Socket) {
    const framer = new SipStreamFramer(65536);
    socket.on('data', (chunk: Buffer) => {
      for (const message of framer.push(chunk)) this.received.push(parseSipMessage(message));
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  send(text: string): void {
    this.socket.write(text);
  }

  async until<T>(find: () => T | undefined, what: string): Promise<T> {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const found = find();
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`no ${what} within ${WAIT_MS} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadline - Date.now());
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  response(cseq: string, status: number): Promise<SipMessage> {
    return this.until(() => this.received.find((m) => m.kind === 'response' && m.status === status && m.headers.get('cseq') === cseq), `${status} to ${cseq}`);
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }
}

function request(method: string, transport: string, cseq: number, options: { toTag?: string; body?: string; callId?: string } = {}): string {
  const body = options.body ?? '';
  return [
    `${method} sip:bot@127.0.0.1 SIP/2.0`,
    `Via: SIP/2.0/${transport} 127.0.0.1:5999;branch=z9hG4bK${method}${cseq}${Math.random().toString(16).slice(2)}`,
    'Max-Forwards: 70',
    'From: <sip:caller@127.0.0.1>;tag=caller1',
    `To: <sip:bot@127.0.0.1>${options.toTag ? `;tag=${options.toTag}` : ''}`,
    `Call-ID: ${options.callId ?? 'stream-call'}`,
    `CSeq: ${cseq} ${method}`,
    `Contact: <sip:caller@127.0.0.1;transport=${transport.toLowerCase()}>`,
    ...(body ? ['Content-Type: application/sdp'] : []),
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
}

async function refused(reason: string): Promise<number> {
  return (await registry.getSingleMetric('parley_refused_total')!.get()).values.find((v) => v.labels.surface === 'sip' && v.labels.reason === reason)?.value ?? 0;
}

describe('SIP over TCP and TLS', () => {
  let engine: MediaEngine;
  let calls: CallRegistry;
  let dir: string;
  let cert: string;
  let key: string;
  const endpoints: SipEndpoint[] = [];
  const sockets: Socket[] = [];

  const start = async (options: SipEndpointOptions): Promise<SipEndpoint> => {
    const endpoint = await SipEndpoint.start({ port: 0, ...options }, { calls: new CallService({ engine, calls, startBot: () => ({ stop: () => undefined }), maxCallMs: 60_000, logger }), logger, media: { host: '127.0.0.1' } });
    endpoints.push(endpoint);
    return endpoint;
  };

  const tcp = async (port: number): Promise<StreamClient> => {
    const socket = tcpConnect(port, '127.0.0.1');
    sockets.push(socket);
    const client = new StreamClient(socket);
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    return client;
  };

  beforeAll(() => {
    engine = new MediaEngine({ logger });
    calls = new CallRegistry();
    dir = mkdtempSync(join(tmpdir(), 'parley-sip-tls-'));
    ({ certFile: cert, keyFile: key } = selfSignedCert(dir));
  });
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    for (const endpoint of endpoints.splice(0)) await endpoint.close();
  });
  afterAll(() => {
    engine.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('carries a whole call over TLS: INVITE, 200 with a transport=tls Contact, ACK, and the BYE on the same connection', async () => {
    const endpoint = await start({ tls: { port: 0, certFile: cert, keyFile: key } });
    const socket = tlsConnect({ host: '127.0.0.1', port: endpoint.tlsPort!, ca: readFileSync(cert), servername: 'localhost', checkServerIdentity: () => undefined });
    sockets.push(socket);
    const client = new StreamClient(socket);
    await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
    // Two requests in one write and a keep-alive: framed by Content-Length, not by segments.
    client.send(`\r\n\r\n${request('OPTIONS', 'TLS', 1, { callId: 'options' })}${request('INVITE', 'TLS', 1, { body: offerSdp({ port: 40010 }) })}`);
    await client.response('1 OPTIONS', 200);
    const ok = await client.response('1 INVITE', 200);
    expect(ok.headers.get('contact')).toMatch(new RegExp(`^<sip:bot@127\\.0\\.0\\.1:${endpoint.tlsPort};transport=tls>$`));
    const toTag = /tag=([^;\s>]+)/.exec(ok.headers.get('to')!)![1]!;
    client.send(request('ACK', 'TLS', 1, { toTag }));
    await expect.poll(() => calls.size).toBe(1);
    client.send(request('BYE', 'TLS', 2, { toTag }));
    await client.response('2 BYE', 200);
    await expect.poll(() => calls.size).toBe(0);
  });

  it('bounds connections per source, closes a stream it cannot frame, and closes idle connections', async () => {
    const endpoint = await start({ maxConnectionsPerSource: 2, connectionIdleMs: 1000 });
    const { port } = endpoint.local;
    const before = { tooMany: await refused('stream_too_many_connections'), framing: await refused('stream_framing'), idle: await refused('stream_idle') };
    const first = await tcp(port);
    const second = await tcp(port);
    const third = await tcp(port);
    await third.until(() => (third.closed ? true : undefined), 'the third connection closed');
    expect(await refused('stream_too_many_connections')).toBe(before.tooMany + 1);
    // The two allowed connections still serve.
    first.send(request('OPTIONS', 'TCP', 1, { callId: 'a' }));
    await first.response('1 OPTIONS', 200);

    // RFC 3261 section 18.3: a stream message without Content-Length cannot be framed.
    second.send('OPTIONS sip:bot@127.0.0.1 SIP/2.0\r\nCall-ID: b\r\n\r\n');
    await second.until(() => (second.closed ? true : undefined), 'the unframable connection closed');
    expect(await refused('stream_framing')).toBe(before.framing + 1);

    await first.until(() => (first.closed ? true : undefined), 'the idle connection closed');
    expect(await refused('stream_idle')).toBe(before.idle + 1);
  });
});
