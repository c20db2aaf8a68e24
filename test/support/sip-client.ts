// A minimal SIP UAC for tests: a real UDP socket on 127.0.0.1 that sends hand-built requests (so
// malformed ones too) and records every message that comes back, parsed with the endpoint's own
// grammar only to read status codes and headers.
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { parseSipMessage, type SipMessage, type SipRequest, type SipResponse } from '../../gateway-adapters/sip/sip-message.js';

export interface Received {
  message: SipMessage;
  raw: string;
}

export interface InviteOptions {
  user?: string;
  host?: string;
  sdp: string;
  headers?: Array<[string, string]>;
  contentType?: string;
}

export interface Dialog {
  callId: string;
  fromTag: string;
  branch: string;
  requestUri: string;
  toTag?: string;
}

export function offerSdp(options: { port: number; payloads?: string; protocol?: string; crypto?: string; extra?: string[] }): string {
  const payloads = options.payloads ?? '0 101';
  return [
    'v=0',
    'o=test 1 1 IN IP4 127.0.0.1',
    's=-',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    `m=audio ${options.port} ${options.protocol ?? 'RTP/AVP'} ${payloads}`,
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:111 opus/48000/2',
    'a=rtpmap:101 telephone-event/8000',
    'a=fmtp:101 0-16',
    ...(options.crypto ? [`a=crypto:1 AES_CM_128_HMAC_SHA1_80 ${options.crypto}`] : []),
    ...(options.extra ?? []),
    'a=sendrecv',
    '',
  ].join('\r\n');
}

export class SipTestClient {
  readonly received: Received[] = [];
  unparsable = 0;
  private waiters: Array<{ test: (r: Received) => boolean; resolve: (r: Received) => void }> = [];

  private constructor(
    private readonly socket: Socket,
    private readonly target: { address: string; port: number },
  ) {
    socket.on('message', (data) => {
      let message: SipMessage;
      try {
        message = parseSipMessage(data);
      } catch {
        this.unparsable++;
        return;
      }
      const received = { message, raw: data.toString('utf8') };
      this.received.push(received);
      this.waiters = this.waiters.filter((waiter) => {
        if (!waiter.test(received)) return true;
        waiter.resolve(received);
        return false;
      });
    });
  }

  static async open(target: { address: string; port: number }): Promise<SipTestClient> {
    const socket = createSocket('udp4');
    socket.bind(0, '127.0.0.1');
    await once(socket, 'listening');
    return new SipTestClient(socket, target);
  }

  get port(): number {
    return this.socket.address().port;
  }

  sendRaw(text: string): void {
    this.socket.send(Buffer.from(text, 'utf8'), this.target.port, this.target.address);
  }

  // Resolves with the first message (already received or future) that passes `test`.
  waitFor(test: (r: Received) => boolean): Promise<Received> {
    const found = this.received.find(test);
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => this.waiters.push({ test, resolve }));
  }

  waitForResponse(callId: string, method: string, status: number | ((status: number) => boolean)): Promise<SipResponse> {
    const matches = typeof status === 'number' ? (s: number) => s === status : status;
    return this.waitFor(({ message }) =>
      message.kind === 'response' && message.headers.get('call-id') === callId && (message.headers.get('cseq') ?? '').endsWith(` ${method}`) && matches(message.status),
    ).then((r) => r.message as SipResponse);
  }

  waitForRequest(callId: string, method: string): Promise<SipRequest> {
    return this.waitFor(({ message }) => message.kind === 'request' && message.method === method && message.headers.get('call-id') === callId).then(
      (r) => r.message as SipRequest,
    );
  }

  // Sends a request and resends it every 200 ms until its response comes, as a UAC does over UDP
  // (RFC 3261 Timer E): for tests that flood the sockets on purpose.
  async requestUntilAnswered(text: string, callId: string, method: string, status: number): Promise<SipResponse> {
    const answered = this.waitForResponse(callId, method, status);
    const timer = setInterval(() => this.sendRaw(text), 200);
    this.sendRaw(text);
    try {
      return await answered;
    } finally {
      clearInterval(timer);
    }
  }

  newDialog(user = 'bot', host = this.target.address): Dialog {
    return { callId: `${randomBytes(6).toString('hex')}@test`, fromTag: randomBytes(4).toString('hex'), branch: newBranch(), requestUri: `sip:${user}@${host}:${this.target.port}` };
  }

  // Builds a request in the dialog's context; `headers` replace or add to the defaults.
  request(method: string, dialog: Dialog, cseq: number, options: { body?: string; headers?: Array<[string, string]>; branch?: string; omit?: string[] } = {}): string {
    const defaults: Array<[string, string]> = [
      ['Via', `SIP/2.0/UDP 127.0.0.1:${this.port};branch=${options.branch ?? dialog.branch};rport`],
      ['Max-Forwards', '70'],
      ['From', `<sip:caller@127.0.0.1:${this.port}>;tag=${dialog.fromTag}`],
      ['To', `<${dialog.requestUri}>${dialog.toTag ? `;tag=${dialog.toTag}` : ''}`],
      ['Call-ID', dialog.callId],
      ['CSeq', `${cseq} ${method}`],
      ['Contact', `<sip:caller@127.0.0.1:${this.port}>`],
    ];
    const headers = new Map(defaults.map(([name, value]) => [name, value]));
    for (const [name, value] of options.headers ?? []) headers.set(name, value);
    for (const name of options.omit ?? []) headers.delete(name);
    const body = options.body ?? '';
    const lines = [`${method} ${dialog.requestUri} SIP/2.0`, ...[...headers].map(([name, value]) => `${name}: ${value}`)];
    if (!headers.has('Content-Length')) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
    return `${lines.join('\r\n')}\r\n\r\n${body}`;
  }

  invite(dialog: Dialog, sdp: string, headers: Array<[string, string]> = []): void {
    this.sendRaw(this.request('INVITE', dialog, 1, { body: sdp, headers: [['Content-Type', 'application/sdp'], ...headers] }));
  }

  // INVITE with an offer for RTP at `rtpPort`, 200 OK, ACK: the confirmed dialog and the port the
  // answer says to send RTP to.
  async call(rtpPort: number): Promise<{ dialog: Dialog; remotePort: number }> {
    const dialog = this.newDialog();
    this.invite(dialog, offerSdp({ port: rtpPort }));
    const ok = await this.waitForResponse(dialog.callId, 'INVITE', 200);
    dialog.toTag = toTagOf(ok);
    this.ack(dialog, true);
    return { dialog, remotePort: Number(/^m=audio (\d+) /m.exec(ok.body)?.[1]) };
  }

  // ACK for a 2xx is its own transaction (new branch); for a non-2xx it reuses the INVITE's.
  ack(dialog: Dialog, forSuccess: boolean): void {
    this.sendRaw(this.request('ACK', dialog, 1, { branch: forSuccess ? newBranch() : dialog.branch }));
  }

  // Answers an in-dialog request from the endpoint (its BYE) with 200 OK.
  answer(request: SipRequest): void {
    const h = request.headers;
    const lines = ['SIP/2.0 200 OK', ...h.all('via').map((via) => `Via: ${via}`), `From: ${h.get('from')}`, `To: ${h.get('to')}`, `Call-ID: ${h.get('call-id')}`, `CSeq: ${h.get('cseq')}`, 'Content-Length: 0'];
    this.sendRaw(`${lines.join('\r\n')}\r\n\r\n`);
  }

  close(): void {
    this.socket.close();
  }
}

export function newBranch(): string {
  return `z9hG4bK${randomBytes(8).toString('hex')}`;
}

export function toTagOf(response: SipResponse): string {
  return /;\s*tag=([^;\s]+)/.exec(response.headers.get('to') ?? '')?.[1] ?? '';
}
