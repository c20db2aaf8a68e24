// One call's connection to a bot, whatever the wire format: dials the bot's WebSocket, streams
// caller audio and events to it, applies its commands to the call's media, and keeps both sides
// safe from each other. Caller audio toward a slow bot is bounded by the socket's bufferedAmount
// (and by a queue while connecting); bot audio ahead of playout is bounded too; every drop is
// counted. A bot that cannot be reached, closes or errors is retried per the reconnect policy,
// then the caller hears a short fallback prompt and the call hangs up cleanly. Nothing thrown in
// here reaches the media engine: every listener is guarded.
import type { ClientRequestArgs } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { WebSocket, type RawData } from 'ws';
import type { BotSession, CallInfo } from '../call/call.js';
import type { CallMedia, CallMediaEvents } from '../call/call-media.js';
import type { ResamplerRate } from '../native/resampler.js';
import type { BotConnectorOptions } from './bot-config.js';
import { countRefused } from '../metrics.js';
import { botMetrics } from './bot-metrics.js';
import type { BotCommand, BotWireProtocol, CallEventToBot, WireMessage } from './bot-wire-protocol.js';
import { prompt } from './demo-bot/speech-source.js';
import { BotConnectionError, MalformedBotMessageError, type BotFaultKind, type MalformedReason } from './errors.js';
import { FRAME_MS } from '../media/frame.js';
import { BatchedBotSocket, botFrameBatch, type BotFrameBatch } from './bot-frame-batch.js';
import { connectBotSocket } from './bot-socket.js';

// Marks Parley places for itself; bot marks are renamed `bot:<n>` so the two never collide.
const HANGUP_MARK = 'parley:hangup';
const BOT_MARK_PREFIX = 'bot:';
// How long past the queued audio a hangup waits for its mark before hanging up anyway.
const HANGUP_GRACE_MS = 2000;
// Bot marks waiting for their audio to play: each is a map entry and a native queue entry, so a
// bot cannot pile up more than this many (further marks are refused and counted).
const MAX_PENDING_MARKS = 1024;
// How much of a bot's hangup reason reaches the log.
const BOT_REASON_LOG_CHARS = 80;

// Reasons of parley_refused_total{surface="bot"}.
const REFUSED = {
  eventBackpressure: 'event_backpressure',
  tooManyMarks: 'too_many_marks',
  stuck: 'stuck',
  dtmfNotSent: 'dtmf_not_sent',
} as const;

// The events BotConnection.listen can guard: a third argument would not be passed on.
type UpToTwoArguments = { [E in keyof CallMediaEvents]: CallMediaEvents[E] extends [unknown?, unknown?] ? E : never }[keyof CallMediaEvents];

// waiting: between a fault and a reconnect; detached: the bot is gone for good (fallback, or a
// Twilio bot that ended its stream) and the call is winding down.
type State = 'connecting' | 'open' | 'waiting' | 'detached' | 'stopped';
type Pending = { kind: 'audio'; pcm: Int16Array; frameIndex: number } | { kind: 'event'; event: CallEventToBot };

export interface BotConnectionStats {
  framesToBot: number;
  framesFromBot: number;
  droppedToBot: number;
  droppedFromBot: number;
  // Events (marks, speech, DTMF...) sent, and not sent because the bot was not reading.
  eventsToBot: number;
  droppedEventsToBot: number;
  malformed: Partial<Record<MalformedReason, number>>;
  faults: number;
  reconnects: number;
  fallback: boolean;
}

export class BotConnection implements BotSession {
  readonly stats: BotConnectionStats = { framesToBot: 0, framesFromBot: 0, droppedToBot: 0, droppedFromBot: 0, eventsToBot: 0, droppedEventsToBot: 0, malformed: {}, faults: 0, reconnects: 0, fallback: false };
  private state: State = 'connecting';
  private socket: WebSocket | undefined;
  // A plain (ws://) bot's open socket, whose caller frames go out in the process's batch (the one
  // there was when it opened).
  private batched: { batch: BotFrameBatch; target: BatchedBotSocket } | undefined;
  private pending: Pending[] = [];
  private pendingAudio = 0;
  // Caller frames the media has produced so far (the call's continuous 20 ms clock).
  private callerFrames = 0;
  private attempts = 0;
  private nextBotMark = 1;
  private readonly botMarks = new Map<string, string>();
  private hangupReason: string | undefined;
  // A bot that keeps sending digits the leg cannot carry is logged once per call, counted always.
  private dtmfRefusalLogged = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly loggedMalformed = new Set<MalformedReason>();
  private readonly listeners: Array<{ [E in keyof CallMediaEvents]: [E, (...args: CallMediaEvents[E]) => void] }[keyof CallMediaEvents]> = [];
  private readonly maxBufferedFrames: number;
  private readonly frameSamples: number;
  // Size of one caller-audio message on the wire (the unit of the send budget).
  private audioMessageBytes: number;
  // When the socket's send buffer went past the budget and stayed there (performance.now() ms).
  private blockedSinceMs: number | undefined;
  // ws's send options for caller audio, made once: the protocol says how its bytes are framed.
  private readonly audioFrame: { binary: boolean };

  constructor(
    private readonly media: CallMedia,
    private readonly info: CallInfo,
    private readonly protocol: BotWireProtocol,
    private readonly options: BotConnectorOptions,
    private readonly logger: Logger,
  ) {
    this.maxBufferedFrames = Math.max(1, Math.floor(options.maxBufferedMs / FRAME_MS));
    this.frameSamples = (media.sampleRateHz / 1000) * FRAME_MS;
    this.audioMessageBytes = this.frameSamples * 2;
    this.audioFrame = { binary: protocol.callerAudioFrames === 'binary' };
  }

  start(): void {
    this.listen('audio', (pcm) => this.onCallerAudio(pcm));
    this.listen('speechStarted', (speechMs) => this.toBot({ type: 'speech_started', speechMs }));
    this.listen('speechStopped', () => this.toBot({ type: 'speech_stopped' }));
    this.listen('bargeIn', (playedMs) => this.toBot({ type: 'barge_in', playedMs }));
    this.listen('turn', (kind, latencyMs) => this.toBot({ type: 'turn', kind, latencyMs }));
    this.listen('dtmf', (digit, durationMs) => this.toBot({ type: 'dtmf', digit, durationMs }));
    this.listen('markPlayed', (name) => this.onMarkPlayed(name));
    this.listen('ended', (reason) => this.stop(reason));
    this.connect(false);
  }

  stop(reason: string): void {
    if (this.state === 'stopped') return;
    const wasOpen = this.state === 'open';
    this.state = 'stopped';
    for (const [event, listener] of this.listeners) this.media.off(event, listener as never);
    for (const timer of this.timers) clearTimeout(timer);
    this.pending = [];
    const socket = this.socket;
    if (socket === undefined) return;
    if (wasOpen) {
      this.flushBatched();
      const stop = this.protocol.callEvent({ type: 'stop', reason });
      if (stop !== undefined) socket.send(stop);
      socket.close(1000, reason.slice(0, 120));
    } else {
      socket.terminate();
    }
  }

  // The guard passes two arguments on, not a rest parameter through a spread call, which cost
  // 'audio' (every call, every 20 ms) an array per frame: no event has more than two
  // (UpToTwoArguments).
  private listen<E extends UpToTwoArguments>(event: E, handler: (...args: CallMediaEvents[E]) => void): void {
    const forward = handler as (first?: unknown, second?: unknown) => void;
    const guarded = (first?: unknown, second?: unknown): void => {
      try {
        forward(first, second);
      } catch (error) {
        this.contained(error);
      }
    };
    this.listeners.push([event, guarded] as never);
    this.media.on(event, guarded as never);
  }

  // The connector's failures are its own: logged, never thrown into the media engine or ws.
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.contained(error);
    }
  }

  private contained(error: unknown): void {
    this.logger.error({ err: error }, 'bot connector error (contained; the call continues)');
  }

  private connect(resumed: boolean): void {
    this.state = 'connecting';
    const url = new URL(this.options.url);
    url.searchParams.set('callId', this.info.callId);
    if (this.info.from !== undefined) url.searchParams.set('from', this.info.from);
    if (this.info.to !== undefined) url.searchParams.set('to', this.info.to);
    let socket: WebSocket;
    let tcp: Socket | undefined;
    try {
      socket = new WebSocket(url, {
        headers: this.options.authorization ? { authorization: this.options.authorization } : undefined,
        handshakeTimeout: this.options.connectTimeoutMs,
        maxPayload: this.options.maxMessageBytes,
        // permessage-deflate (RFC 7692) is only offered, never required: PCM and base64 µ-law do
        // not compress, and a bot that accepts the offer (Python's `websockets` does by default)
        // would cost a zlib pass on every 20 ms frame both ways, and make ws queue sends (the
        // caller frame a send views would have changed by then).
        perMessageDeflate: false,
        ...(url.protocol === 'ws:' ? { createConnection: (options: ClientRequestArgs) => (tcp = connectBotSocket(options)) } : {}),
      });
    } catch (error) {
      this.fault('connect_failed', (error as Error).message);
      return;
    }
    this.socket = socket;
    this.batched = undefined;
    let opened = false;
    let lastError: Error | undefined;
    socket.on('open', () =>
      this.guard(() => {
        if (this.state !== 'connecting') return;
        opened = true;
        this.state = 'open';
        const batch = tcp === undefined ? undefined : botFrameBatch();
        if (tcp !== undefined && batch !== undefined) this.batched = { batch, target: new BatchedBotSocket(socket, tcp, (frames, reason) => this.unsent(frames, reason)) };
        botMetrics.connections.inc({ protocol: this.protocol.name });
        for (const message of this.protocol.opening(resumed)) socket.send(message);
        this.flushPending();
        // ws may answer a ping that came with the handshake from a nextTick, before a microtask.
        this.flushBatched();
      }),
    );
    socket.on('message', (data: RawData, isBinary: boolean) => {
      try {
        this.onBotMessage(data as Buffer, isBinary);
      } catch (error) {
        this.contained(error);
      }
    });
    socket.on('error', (error) => {
      lastError = error;
    });
    socket.on('close', (code: number, reason: Buffer) =>
      this.guard(() => {
        if (socket !== this.socket || this.state === 'stopped' || this.state === 'detached' || this.hangupReason !== undefined) return;
        if (opened && this.protocol.normalCloseIsHangup && (code === 1000 || code === 1005)) {
          this.state = 'detached';
          this.hangupAfterPlayout('bot_hangup');
          return;
        }
        const kind: BotFaultKind = !opened ? 'connect_failed' : lastError ? 'error' : 'closed';
        this.fault(kind, lastError?.message ?? `closed with code ${code}${reason.length > 0 ? ` (${reason.toString('utf8').slice(0, 120)})` : ''}`);
      }),
    );
  }

  private fault(kind: BotFaultKind, detail: string): void {
    this.stats.faults++;
    botMetrics.faults.inc({ protocol: this.protocol.name, kind });
    const error = new BotConnectionError(kind, detail);
    const bot = `${new URL(this.options.url).origin}${new URL(this.options.url).pathname}`;
    if (this.attempts < this.options.reconnectAttempts) {
      this.attempts++;
      this.stats.reconnects++;
      botMetrics.reconnects.inc({ protocol: this.protocol.name });
      this.logger.warn({ err: error, kind, bot, attempt: this.attempts }, 'bot connection lost: reconnecting');
      this.state = 'waiting';
      this.after(this.options.reconnectBackoffMs, () => this.connect(true));
      return;
    }
    this.logger.error({ err: error, kind, bot }, 'bot unavailable: playing the fallback prompt, then hanging up');
    this.fallback();
  }

  private fallback(reason = 'bot_unavailable'): void {
    this.state = 'detached';
    this.stats.fallback = true;
    botMetrics.fallbacks.inc({ protocol: this.protocol.name });
    this.pending = [];
    this.media.clear();
    prompt('goodbye', this.media.sampleRateHz as ResamplerRate).then(
      (pcm) =>
        this.guard(() => {
          if (this.state === 'stopped') return;
          this.media.play(pcm);
          this.hangupAfterPlayout(reason);
        }),
      (error: unknown) =>
        this.guard(() => {
          this.logger.error({ err: error }, 'fallback prompt unavailable: hanging up');
          if (this.state !== 'stopped') this.media.hangup(reason);
        }),
    );
  }

  // Hangs up once the audio already queued has reached the caller (or a grace period later).
  private hangupAfterPlayout(reason: string): void {
    if (this.hangupReason !== undefined) return;
    this.hangupReason = reason;
    this.markAfterQueued(HANGUP_MARK);
    this.after(this.media.queuedMs + HANGUP_GRACE_MS, () => this.media.hangup(reason));
  }

  private after(delayMs: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.state !== 'stopped') this.guard(fn);
    }, delayMs);
    this.timers.add(timer);
  }

  private onCallerAudio(pcm: Int16Array): void {
    const frameIndex = this.callerFrames++;
    if (this.state === 'open') {
      this.sendAudio(pcm, frameIndex);
    } else if (this.state === 'connecting' || this.state === 'waiting') {
      if (this.pendingAudio >= this.maxBufferedFrames) {
        this.pending.splice(this.pending.findIndex((entry) => entry.kind === 'audio'), 1);
        this.pendingAudio--;
        this.dropped('to_bot', 'not_connected');
      }
      this.pending.push({ kind: 'audio', pcm: pcm.slice(), frameIndex });
      this.pendingAudio++;
    }
  }

  private sendAudio(pcm: Int16Array, frameIndex: number): void {
    // Checked before the message is built, so a dropped frame takes no chunk or sequence number.
    if (this.overBudget()) {
      this.dropped('to_bot', 'backpressure');
      return;
    }
    const message = this.protocol.callerAudio(pcm, frameIndex);
    this.audioMessageBytes = message.length;
    if (this.batched === undefined || !this.batched.batch.add(this.batched.target, message, this.audioFrame.binary)) this.socket!.send(message, this.audioFrame);
    this.stats.framesToBot++;
  }

  // Events share the audio's send budget: a bot that sends marks (or anything Parley answers) and
  // never reads cannot make Parley buffer the answers without bound.
  private toBot(event: CallEventToBot): void {
    if (this.state === 'open') {
      const message = this.protocol.callEvent(event);
      if (message === undefined) return;
      if (this.overBudget()) {
        this.stats.droppedEventsToBot++;
        countRefused('bot', REFUSED.eventBackpressure);
        return;
      }
      this.flushBatched();
      this.socket!.send(message);
      this.stats.eventsToBot++;
    } else if (this.state === 'connecting' || this.state === 'waiting') {
      if (this.pending.length - this.pendingAudio >= this.maxBufferedFrames) {
        this.stats.droppedEventsToBot++;
        countRefused('bot', REFUSED.eventBackpressure);
        return;
      }
      this.pending.push({ kind: 'event', event });
    }
  }

  // Caller frames of this socket still in the process's batch go before anything else is written.
  private flushBatched(): void {
    if (this.batched !== undefined) this.batched.batch.flushIfPending(this.batched.target);
  }

  // bufferedAmount: bytes handed to ws, or left by the batch in the socket's stream, not yet
  // written to the kernel (a bot not reading).
  // Past maxBufferedMs worth of caller audio, nothing more is queued; past stuckTimeoutMs of
  // that, the bot is given up on.
  // Frames still in the batch count too: past the budget they are sent first, and what the
  // kernel does not take is then in bufferedAmount.
  private overBudget(): boolean {
    const socket = this.socket!;
    const budget = this.maxBufferedFrames * this.audioMessageBytes;
    if (this.batched !== undefined && socket.bufferedAmount + this.batched.target.queuedBytes > budget) this.flushBatched();
    if (socket.bufferedAmount <= budget) {
      this.blockedSinceMs = undefined;
      return false;
    }
    const nowMs = performance.now();
    this.blockedSinceMs ??= nowMs;
    if (nowMs - this.blockedSinceMs >= this.options.stuckTimeoutMs) this.giveUpStuck(socket);
    return true;
  }

  private giveUpStuck(socket: WebSocket): void {
    countRefused('bot', REFUSED.stuck);
    this.logger.error({ bufferedBytes: socket.bufferedAmount, stuckTimeoutMs: this.options.stuckTimeoutMs }, 'bot stopped reading: playing the fallback prompt, then hanging up');
    // terminate() frees ws's send buffer at once; the close handler ignores a detached call.
    this.state = 'detached';
    socket.terminate();
    this.fallback('bot_stuck');
  }

  private flushPending(): void {
    const pending = this.pending;
    this.pending = [];
    this.pendingAudio = 0;
    for (const entry of pending) {
      if (entry.kind === 'audio') this.sendAudio(entry.pcm, entry.frameIndex);
      else this.toBot(entry.event);
    }
  }

  // Frames counted as sent that the batch could not send after all.
  private unsent(frames: number, reason: string): void {
    this.stats.framesToBot -= frames;
    this.stats.droppedToBot += frames;
    botMetrics.dropped.inc({ protocol: this.protocol.name, direction: 'to_bot', reason }, frames);
  }

  private dropped(direction: 'to_bot' | 'from_bot', reason: string): void {
    if (direction === 'to_bot') this.stats.droppedToBot++;
    else this.stats.droppedFromBot++;
    botMetrics.dropped.inc({ protocol: this.protocol.name, direction, reason });
  }

  private onBotMessage(data: Buffer, isBinary: boolean): void {
    if (this.state !== 'open') return;
    let command: BotCommand;
    try {
      command = this.protocol.decode(data, isBinary);
    } catch (error) {
      if (!(error instanceof MalformedBotMessageError)) throw error;
      this.malformed(error);
      return;
    }
    this.apply(command);
  }

  private malformed(error: MalformedBotMessageError): void {
    this.stats.malformed[error.reason] = (this.stats.malformed[error.reason] ?? 0) + 1;
    botMetrics.malformed.inc({ protocol: this.protocol.name, reason: error.reason });
    // One line per kind of fault per call; the metric counts the rest.
    if (this.loggedMalformed.has(error.reason)) return;
    this.loggedMalformed.add(error.reason);
    this.logger.warn({ err: error, reason: error.reason }, 'dropping a malformed bot message (further ones only counted)');
  }

  private apply(command: BotCommand): void {
    if (this.hangupReason !== undefined) return;
    switch (command.type) {
      case 'audio': {
        if (!this.media.play(command.pcm, this.options.maxPlayoutMs)) {
          this.dropped('from_bot', 'playout_full');
          return;
        }
        this.stats.framesFromBot += command.pcm.length / this.frameSamples;
        return;
      }
      case 'mark': {
        if (this.botMarks.size >= MAX_PENDING_MARKS) {
          countRefused('bot', REFUSED.tooManyMarks);
          return;
        }
        const internal = `${BOT_MARK_PREFIX}${this.nextBotMark++}`;
        this.botMarks.set(internal, command.name);
        this.markAfterQueued(internal);
        return;
      }
      case 'clear':
        this.media.clear();
        return;
      case 'hangup':
        if (command.botReason !== undefined) this.logger.info({ botReason: command.botReason.slice(0, BOT_REASON_LOG_CHARS) }, 'bot hung up');
        this.hangupAfterPlayout('bot_hangup');
        return;
      case 'dtmf':
        if (!this.media.sendDtmf(command.digits)) {
          countRefused('bot', REFUSED.dtmfNotSent);
          if (!this.dtmfRefusalLogged) this.logger.warn('bot DTMF not sent: no telephone-event on the caller leg, or its digit queue is full (counted in parley_refused_total)');
          this.dtmfRefusalLogged = true;
        }
        return;
    }
  }

  // An idle media session does not tick, so a native mark on an empty queue would wait for the
  // next audio. With nothing queued, everything before the mark has already been sent (a frame
  // leaves the queue in the same tick it is sent, and that tick's marks are dispatched before
  // any bot message is read), so it is reached now.
  private markAfterQueued(name: string): void {
    if (this.media.queuedMs === 0) this.onMarkPlayed(name);
    else this.media.mark(name);
  }

  private onMarkPlayed(name: string): void {
    if (name === HANGUP_MARK) {
      this.media.hangup(this.hangupReason ?? 'bot_hangup');
      return;
    }
    const botName = this.botMarks.get(name);
    if (botName === undefined) return;
    this.botMarks.delete(name);
    this.toBot({ type: 'mark', name: botName });
  }
}
