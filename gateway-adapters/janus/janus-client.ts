// Janus API client over its WebSocket transport (subprotocol "janus-protocol"): sessions,
// handles, transactions with timeouts, keepalives, and asynchronous events routed by handle.
// Hand-written because the maintained client (janus.js) is browser-only; the protocol is a small
// JSON envelope documented in Janus's "JSON API" page. Parley opens one connection per call, with
// that call's signed token: a dropped connection ends that call only (its media path through
// Janus is gone with the PeerConnection anyway), so there is no reconnect-and-reclaim.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import { z } from 'zod';
import { JanusError } from './errors.js';

const KEEPALIVE_MS = 25_000; // Janus drops sessions idle for session_timeout (60 s by default)
const TRANSACTION_TIMEOUT_MS = 10_000;
const CONNECT_TIMEOUT_MS = 3000;

const envelopeSchema = z
  .object({
    janus: z.string(),
    transaction: z.string().optional(),
    session_id: z.number().optional(),
    sender: z.number().optional(),
    data: z.object({ id: z.number() }).passthrough().optional(),
    error: z.object({ code: z.number(), reason: z.string() }).optional(),
    plugindata: z.object({ plugin: z.string(), data: z.record(z.string(), z.unknown()) }).optional(),
    jsep: z.object({ type: z.enum(['offer', 'answer']), sdp: z.string() }).optional(),
    candidate: z.unknown().optional(),
    reason: z.string().optional(),
  })
  .passthrough();

export type JanusEnvelope = z.infer<typeof envelopeSchema>;

// ws's handshake timeout also runs while TCP is still connecting (a lost SYN included).
function openSocket(url: string, timeoutMs: number): Promise<WebSocket> {
  const socket = new WebSocket(url, 'janus-protocol', { handshakeTimeout: timeoutMs });
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(socket));
    socket.once('error', (error) => reject(new JanusError(error.message)));
  });
}

export interface HandleEvents {
  // A plugin event (plugindata.data) with the JSEP it carried, if any.
  event: [data: Record<string, unknown>, jsep: { type: 'offer' | 'answer'; sdp: string } | undefined];
  trickle: [candidate: unknown];
  webrtcup: [];
  hangup: [reason: string];
  detached: [];
}

export class JanusHandle extends EventEmitter<HandleEvents> {
  constructor(
    private readonly client: JanusClient,
    readonly sessionId: number,
    readonly id: number,
  ) {
    super();
  }

  // Sends a plugin message; resolves with the synchronous answer (plugin data) or the ack.
  message(body: Record<string, unknown>, jsep?: { type: 'offer' | 'answer'; sdp: string }): Promise<JanusEnvelope> {
    return this.client.request({ janus: 'message', session_id: this.sessionId, handle_id: this.id, body, ...(jsep ? { jsep } : {}) });
  }

  trickle(candidate: unknown): Promise<JanusEnvelope> {
    return this.client.request({ janus: 'trickle', session_id: this.sessionId, handle_id: this.id, candidate });
  }

  async detach(): Promise<void> {
    await this.client.request({ janus: 'detach', session_id: this.sessionId, handle_id: this.id }).catch(() => undefined);
    this.client.forgetHandle(this.id);
  }
}

export interface JanusClientEvents {
  closed: [];
}

export class JanusClient extends EventEmitter<JanusClientEvents> {
  private readonly pending = new Map<string, { resolve: (value: JanusEnvelope) => void; reject: (error: Error) => void; timer: NodeJS.Timeout; ackOnly: boolean }>();
  private readonly handles = new Map<number, JanusHandle>();
  private readonly keepalives = new Map<number, NodeJS.Timeout>();

  private constructor(
    private readonly socket: WebSocket,
    private readonly token: string | undefined,
  ) {
    super();
    socket.on('message', (data: Buffer) => this.onMessage(data));
    // Errors are followed by 'close', which fails whatever was pending.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      for (const { reject, timer } of this.pending.values()) {
        clearTimeout(timer);
        reject(new JanusError('the Janus connection closed'));
      }
      this.pending.clear();
      for (const timer of this.keepalives.values()) clearInterval(timer);
      for (const handle of this.handles.values()) handle.emit('hangup', 'janus_disconnected');
      this.emit('closed');
    });
  }

  // Opens the connection, retrying a connect that fails or does not open within `timeoutMs` (a
  // lost SYN would otherwise cost the kernel's whole SYN-retry schedule, minutes, on one call).
  static async connect(url: string, token?: string, options: { timeoutMs?: number; attempts?: number } = {}): Promise<JanusClient> {
    const attempts = options.attempts ?? 3;
    let lastError: Error | undefined;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        return new JanusClient(await openSocket(url, options.timeoutMs ?? CONNECT_TIMEOUT_MS), token);
      } catch (error) {
        lastError = error as Error;
      }
    }
    throw new JanusError(`cannot reach Janus at ${url} (${attempts} attempts): ${lastError?.message}`);
  }

  request(message: Record<string, unknown>): Promise<JanusEnvelope> {
    const transaction = randomUUID();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(transaction);
        reject(new JanusError(`Janus did not answer "${String(message.janus)}" in time`));
      }, TRANSACTION_TIMEOUT_MS);
      this.pending.set(transaction, { resolve, reject, timer, ackOnly: message.janus === 'trickle' || message.janus === 'keepalive' });
      this.socket.send(JSON.stringify({ ...message, transaction, ...(this.token ? { token: this.token } : {}) }));
    });
  }

  async createSession(): Promise<number> {
    const reply = await this.request({ janus: 'create' });
    const id = reply.data?.id;
    if (id === undefined) throw new JanusError('Janus created no session');
    const timer = setInterval(() => void this.request({ janus: 'keepalive', session_id: id }).catch(() => undefined), KEEPALIVE_MS);
    timer.unref();
    this.keepalives.set(id, timer);
    return id;
  }

  async destroySession(sessionId: number): Promise<void> {
    clearInterval(this.keepalives.get(sessionId));
    this.keepalives.delete(sessionId);
    await this.request({ janus: 'destroy', session_id: sessionId }).catch(() => undefined);
  }

  async attach(sessionId: number, plugin: string): Promise<JanusHandle> {
    const reply = await this.request({ janus: 'attach', session_id: sessionId, plugin });
    const id = reply.data?.id;
    if (id === undefined) throw new JanusError(`Janus did not attach ${plugin}`);
    const handle = new JanusHandle(this, sessionId, id);
    this.handles.set(id, handle);
    return handle;
  }

  forgetHandle(id: number): void {
    this.handles.delete(id);
  }

  close(): void {
    this.socket.close();
  }

  private onMessage(data: Buffer): void {
    let parsed: JanusEnvelope;
    try {
      parsed = envelopeSchema.parse(JSON.parse(data.toString('utf8')));
    } catch {
      return; // not a Janus envelope: nothing to route
    }
    const waiting = parsed.transaction ? this.pending.get(parsed.transaction) : undefined;
    if (waiting) {
      if (parsed.janus === 'ack' && !waiting.ackOnly) return; // the real answer follows as an event
      clearTimeout(waiting.timer);
      this.pending.delete(parsed.transaction!);
      if (parsed.janus === 'error' || parsed.error) {
        waiting.reject(new JanusError(`Janus error ${parsed.error?.code}: ${parsed.error?.reason}`, parsed.error?.code));
      } else {
        waiting.resolve(parsed);
      }
      if (parsed.janus !== 'event') return;
    }
    const handle = parsed.sender !== undefined ? this.handles.get(parsed.sender) : undefined;
    if (!handle) return;
    switch (parsed.janus) {
      case 'event':
        if (parsed.plugindata) handle.emit('event', parsed.plugindata.data, parsed.jsep);
        break;
      case 'trickle':
        handle.emit('trickle', parsed.candidate);
        break;
      case 'webrtcup':
        handle.emit('webrtcup');
        break;
      case 'hangup':
        handle.emit('hangup', parsed.reason ?? 'hangup');
        break;
      case 'detached':
        handle.emit('detached');
        break;
      default:
        break;
    }
  }
}
