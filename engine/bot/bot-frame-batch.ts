// Caller frames to plain (ws://) bot sockets, gathered over a media tick and sent in one native
// crossing: framed and masked there and handed to the kernel in one io_uring_enter where it allows
// it (engine/native/websocket-send-batch.ts). Through `ws`, each frame cost its framing and
// masking, the stream's write path and a write(2) of its own, for every call every 20 ms: the
// largest part of the bot leg (docs/benchmarks.md, "The bot leg's sends").
//
// The byte order on a socket stays one writer's. A frame is taken only while nothing waits in
// the socket's stream or in ws (which writes at once: permessage-deflate is never negotiated),
// and the batch is sent before anything else is written to that socket: at the end of the media
// tick (flushBotFrames, the engine's afterTick), when its connection sends anything else or
// hands ws the socket's reads (flushIfPending: its events, stop, the end of its 'open' handler,
// after which ws may answer a ping from a nextTick), or else in a microtask (frames added outside
// a tick, by tests and benches). The kernel is never made to wait: what a full socket does not take goes on
// through the socket's own stream, and the next frames go through `ws`, behind it, until it has
// drained.
import { constants } from 'node:os';
import type { Socket } from 'node:net';
import { WebSocket } from 'ws';
import { logger } from '../logger.js';
import { sendBatchLayout, WebSocketSendBatch, type SendBatchLayout } from '../native/websocket-send-batch.js';
import { botMetrics } from './bot-metrics.js';

// A frame that was queued and then not sent: the connection counts it as dropped, not sent.
export type DroppedFrames = (frames: number, reason: 'not_connected' | 'batch_failed') => void;

// A bot connection's WebSocket and the TCP socket under it.
export class BatchedBotSocket {
  // The batch generation holding frames of this socket (only the current one's count).
  queuedIn = -1;
  // Payload bytes of this socket in the batch: its sender's send budget counts them.
  queuedBytes = 0;
  // Read once: a socket keeps its descriptor until it is destroyed, when the number may become
  // another socket's (so every use checks `destroyed` first: fdOf).
  readonly fd: number;

  constructor(
    readonly ws: WebSocket,
    readonly socket: Socket,
    readonly dropped: DroppedFrames,
  ) {
    const fd = (socket as unknown as { _handle?: { fd?: number } | null })._handle?.fd;
    this.fd = typeof fd === 'number' && fd >= 0 ? fd : -1;
  }
}

const INITIAL_CONNECTIONS = 64;
const INITIAL_PAYLOAD_BYTES = 64 * 1024;
// The framed bytes: each frame's payload and its header (up to 14 bytes on a 640-byte frame).
const INITIAL_OUT_BYTES = 2 * INITIAL_PAYLOAD_BYTES;
const EIO = constants.errno.EIO;

export class BotFrameBatch {
  private readonly native: WebSocketSendBatch;
  private readonly layout: SendBatchLayout = sendBatchLayout();
  private payloads = new Uint8Array(INITIAL_PAYLOAD_BYTES);
  private payloadBytes = 0;
  private frames: Int32Array;
  private frameCount = 0;
  private connections: Int32Array;
  private readonly targets: BatchedBotSocket[] = [];
  private out = new Uint8Array(INITIAL_OUT_BYTES);
  private generation = 0;
  private scheduled = false;
  private failureLogged = false;
  private ringLossLogged = false;
  private readonly startedWithIoUring: boolean;
  private readonly flushTask = (): void => {
    this.scheduled = false;
    this.flushNow();
  };

  // plainSends: one send(2) per socket, io_uring not tried.
  constructor(plainSends = false) {
    this.native = new WebSocketSendBatch(plainSends);
    this.startedWithIoUring = this.native.usesIoUring;
    this.frames = new Int32Array(this.layout.frameFields * INITIAL_CONNECTIONS);
    this.connections = new Int32Array(this.layout.connectionFields * INITIAL_CONNECTIONS);
  }

  get usesIoUring(): boolean {
    return this.native.usesIoUring;
  }

  // Queues one frame for the socket; false when it must go through `ws` instead (not open, closed,
  // or bytes still waiting in its stream). The payload is copied at once.
  add(target: BatchedBotSocket, payload: Uint8Array, binary: boolean): boolean {
    const { connectionFields, frameFields } = this.layout;
    // A socket's frames go in one send, so they must be contiguous: another socket's came since,
    // so the batch goes first, and the socket is checked after that (its stream may now hold what
    // the kernel did not take).
    if (target.queuedIn === this.generation && this.targets[this.targets.length - 1] !== target) this.flushNow();
    const { ws } = target;
    // bufferedAmount: the stream's bytes and any message ws itself holds back.
    if (ws.readyState !== WebSocket.OPEN || ws.bufferedAmount !== 0 || fdOf(target) < 0) return false;
    let last = this.targets.length - 1;
    if (target.queuedIn !== this.generation) {
      last = this.targets.length;
      this.targets.push(target);
      if (this.connections.length < connectionFields * (last + 1)) this.connections = grown(this.connections, connectionFields * (last + 1));
      this.connections[connectionFields * last + 1] = 0;
      target.queuedIn = this.generation;
    }
    this.connections[connectionFields * last + 1]!++;
    target.queuedBytes += payload.length;
    if (this.payloads.length < this.payloadBytes + payload.length) this.payloads = grown(this.payloads, this.payloadBytes + payload.length);
    this.payloads.set(payload, this.payloadBytes);
    const field = frameFields * this.frameCount;
    if (this.frames.length < field + frameFields) this.frames = grown(this.frames, field + frameFields);
    this.frames[field] = this.payloadBytes;
    this.frames[field + 1] = payload.length;
    this.frames[field + 2] = binary ? this.layout.opcodeBinary : this.layout.opcodeText;
    this.frameCount++;
    this.payloadBytes += payload.length;
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.flushTask);
    }
    return true;
  }

  // Sends the batch now if it holds frames of this socket: before anything else is written to it.
  flushIfPending(target: BatchedBotSocket): void {
    if (target.queuedIn === this.generation) this.flushNow();
  }

  // Sends the batch now (the end of a media tick: MediaEngine's afterTick).
  flushNow(): void {
    try {
      this.flush();
    } catch (error) {
      // Nothing thrown here may reach the media tick or end the process: the frames are dropped
      // and counted, and the first failure logged.
      const { connectionFields } = this.layout;
      this.targets.forEach((target, i) => target.dropped(this.connections[connectionFields * i + 1]!, 'batch_failed'));
      if (!this.failureLogged) logger.error({ err: error }, 'bot frame batch failed: its caller frames were dropped (further failures only counted)');
      this.failureLogged = true;
      this.reset();
    }
  }

  private flush(): void {
    const count = this.targets.length;
    if (count === 0) return;
    const { connectionFields } = this.layout;
    for (let i = 0; i < count; i++) this.connections[connectionFields * i] = fdOf(this.targets[i]!);
    const outBytes = this.payloadBytes + this.layout.maxHeaderBytes * this.frameCount;
    if (this.out.length < outBytes) this.out = new Uint8Array(Math.max(outBytes, 2 * this.out.length));
    this.native.flush(this.payloads, this.frames, this.frameCount, this.connections, count, this.out);
    botMetrics.batched.inc(this.frameCount);
    if (this.startedWithIoUring && !this.native.usesIoUring && !this.ringLossLogged) {
      this.ringLossLogged = true;
      logger.error('bot frames: io_uring failed; one send per socket from now on');
    }
    for (let i = 0; i < count; i++) {
      const field = connectionFields * i;
      const fd = this.connections[field]!;
      const start = this.connections[field + 2]!;
      const bytes = this.connections[field + 3]!;
      const written = this.connections[field + 4]!;
      if (written >= bytes) continue;
      const target = this.targets[i]!;
      // A socket closed since its frames were queued (fd -1) gets nothing.
      if (fd < 0) {
        target.dropped(this.connections[field + 1]!, 'not_connected');
        continue;
      }
      // io_uring failed with the send taken but not reported: what reached the bot is unknown, so
      // its stream cannot go on; the connection's close handler reconnects.
      if (written === -EIO) {
        target.dropped(this.connections[field + 1]!, 'batch_failed');
        target.socket.destroy();
        continue;
      }
      const socket = target.socket;
      // The rest of a short send (or all of it: a full socket, or an error the stream will then
      // report) through the socket's stream, which holds nothing else.
      socket.write(Buffer.from(this.out.subarray(start + Math.max(written, 0), start + bytes)));
    }
    this.reset();
  }

  private reset(): void {
    for (const target of this.targets) target.queuedBytes = 0;
    this.targets.length = 0;
    this.frameCount = 0;
    this.payloadBytes = 0;
    this.generation++;
  }
}

// The socket's descriptor, -1 once it is destroyed: a closed socket's number may already be
// another's.
const fdOf = (target: BatchedBotSocket): number => (target.socket.destroyed ? -1 : target.fd);

function grown<T extends Uint8Array | Int32Array>(array: T, atLeast: number): T {
  const next = new (array.constructor as new (length: number) => T)(Math.max(atLeast, 2 * array.length));
  next.set(array);
  return next;
}

// The process's batch: every bot connection of a media worker shares it, so a tick's frames go out
// together. Undefined if it cannot be made (the addon without it): frames then go through ws.
let shared: BotFrameBatch | undefined;
let unavailable = false;

export function botFrameBatch(): BotFrameBatch | undefined {
  if (shared !== undefined || unavailable) return shared;
  try {
    shared = new BotFrameBatch();
    logger.info({ ioUring: shared.usesIoUring }, shared.usesIoUring ? 'bot frames: one io_uring submission per media tick' : 'bot frames: io_uring unavailable, one send per socket per media tick');
  } catch (error) {
    unavailable = true;
    logger.error({ err: error }, 'bot frame batch unavailable: caller frames go through ws one by one');
  }
  return shared;
}

// The process's batch sent now, if there is one (a media engine's afterTick).
export const flushBotFrames = (): void => shared?.flushNow();
