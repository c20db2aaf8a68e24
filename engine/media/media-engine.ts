// Drives every media session of the process. The 20 ms frame is split in phase slots (8 of 2.5 ms
// by default); a slot takes up to 16 calls before the next opens (evenly spaced over the frame),
// and past 8 x 16 each new call joins the emptiest, so a call's frames fall due at the monotonic
// clock's 20 ms boundaries plus its slot's phase. One native tick per occupied slot processes the
// sessions due in it: a frame waits for at most a slot's work, not every call's (one tick over
// every call held the last call's frame ~a tick's length: 21-31 ms p99 at capacity), and the
// JS<->C++ boundary is still crossed a few times per 20 ms, not per session. The native side
// keeps each session's own schedule, so a late timer delays a frame but never shifts the media
// clock. With no session, no timer runs.
import type { Logger } from 'pino';
import type { NetworkCodec } from '../call/call-media.js';
import { observeTurnLatency, turnKinds } from '../call/turn-latency.js';
import { callNative, InvalidArgumentError } from '../errors.js';
import { countRefused } from '../metrics.js';
import { mediaModule, SessionEventType, tickTimerModule, type NativeMediaEngine, type NativeTickTimer } from './media-engine-binding.js';
import { MediaCounterSource, observeTick } from './media-metrics.js';
import { MediaSession } from './media-session.js';
import {
  checkedRtpSessionOptionsSchema,
  pcmSessionOptionsSchema,
  type PcmSessionOptions,
  type RtpSessionOptions,
} from './media-session-options.js';
import { FRAME_US, FRAME_MS } from './frame.js';

// 8 slots halved the median engine latency at 150 PCMU calls against 4 (1.2-1.3 ms against
// 2.0-2.5, the node's echo-only load step), and no more wakeups are made than the load needs.
const DEFAULT_PHASE_SLOTS = 8;
// Calls a slot takes before another opens: a tick for a few calls is far shorter than a slot, and
// every timer wakeup costs (80-120 µs of CPU on the project's loaded VM). End to end at 100 PCMU
// calls, 16 against 32 took the median engine latency from 2.2 ms to 1.2-1.3 ms, its CPU within
// the machine's noise (3 alternating load steps each).
const DEFAULT_SESSIONS_PER_SLOT = 16;
const MAX_PHASE_SLOTS = 20;
const EVENT_CAPACITY = 16384;
// Refused-datagram totals go to /metrics once a second: live during a flood, one crossing.
const REFUSALS_EVERY_US = 1_000_000;

export interface MediaEngineOptions {
  // 'realtime' runs its own 20 ms loop; 'manual' leaves tick(nowUs) to the caller (tests, bench).
  clock?: 'realtime' | 'manual';
  // Caller audio one tick can hand to JS, in samples (all sessions together).
  audioCapacitySamples?: number;
  // Ticks per 20 ms frame, each serving the sessions of one phase: a divisor of 20,000 µs up to 20.
  phaseSlots?: number;
  // Sessions a slot takes before the next one opens; with every slot that full, the emptiest.
  sessionsPerSlot?: number;
  // Called after each realtime tick (the bench measures engine latency here): `dueUs` is the slot
  // boundary the tick served, `startUs` when it began, `doneUs` when every frame was handed over.
  onTick?: (dueUs: number, startUs: number, doneUs: number) => void;
  // Called at the end of every tick, inside it: what the tick's listeners gathered to send
  // together (the bot connections' batched caller frames) goes out before the tick counts as done,
  // so the engine latency includes it.
  afterTick?: () => void;
  logger?: Logger;
}

// For sessions whose transport lives in JS (transport: 'external'): receives the RTP packets each
// tick produced, once per tick.
export type OutboundPacketSink = (packets: Buffer[]) => void;

export interface RtpSessionHandle {
  session: MediaSession;
  localHost?: string;
  localPort?: number;
}

// The PCM rate a leg's codec exchanges audio at (native CodecPcmRateHz): Opus codes at the bot's.
function legRateOf(codec: string, botRateHz: number): number {
  if (codec === 'PCMU' || codec === 'PCMA') return 8000;
  if (codec === 'G722') return 16000;
  if (codec.startsWith('L16/')) return Number(codec.slice(4));
  return botRateHz;
}

// echoCancellation unset: on for a telephone leg (not Opus, whose browser or softphone cancels its
// own echo) whose speech rate (the lower of the leg's and the bot's) the canceller runs at.
function echoCancellationFor(explicit: boolean | undefined, codec: string, legRateHz: number, botRateHz: number): boolean {
  if (explicit !== undefined) return explicit;
  const speechRateHz = Math.min(legRateHz, botRateHz);
  return codec !== 'opus' && (speechRateHz === 8000 || speechRateHz === 16000);
}

function networkCodecOf(codec: string): NetworkCodec {
  if (codec.startsWith('L16')) return 'L16';
  if (codec === 'PCMU' || codec === 'PCMA' || codec === 'G722' || codec === 'opus') return codec;
  throw new InvalidArgumentError(`unknown codec: ${codec}`);
}

export class MediaEngine {
  private readonly native: NativeMediaEngine;
  private readonly events = new Int32Array(EVENT_CAPACITY * 4);
  private readonly audio: Int16Array;
  private readonly sessions = new Map<number, MediaSession>();
  private readonly packetSinks = new Map<MediaSession, OutboundPacketSink>();
  private readonly clock: 'realtime' | 'manual';
  private readonly logger?: Logger;
  // The realtime loop's timer (native: Node's timers count whole milliseconds), there while any
  // session lives: the native timer holds its callback, and so this engine, until it is dropped.
  private timer: NativeTickTimer | undefined;
  private timerAimed = false;
  // Inside the realtime loop's tick (listeners may create and close sessions there).
  private ticking = false;
  private nextTickUs = 0;
  private readonly tickUs: number;
  private readonly phaseSlots: number;
  // Live sessions per phase slot: the realtime timer wakes only for slots that have some.
  private readonly slotSessions: number[];
  private readonly onTick?: (dueUs: number, startUs: number, doneUs: number) => void;
  private readonly afterTick?: () => void;
  // Sessions with an external transport that processed a frame in this tick (only they can have
  // packets to hand over); reused across ticks.
  private readonly tickedExternal: MediaSession[] = [];
  private readonly refusalReasons: string[];
  private readonly refusalsPublished: Float64Array;
  private readonly refusalsEveryTicks: number;
  private ticksSinceRefusals = 0;
  private readonly counters: MediaCounterSource;

  constructor(options: MediaEngineOptions = {}) {
    const { MediaEngine: NativeEngine } = mediaModule();
    this.audio = new Int16Array(options.audioCapacitySamples ?? 4 * 1024 * 1024);
    const phaseSlots = options.phaseSlots ?? DEFAULT_PHASE_SLOTS;
    if (!Number.isInteger(phaseSlots) || phaseSlots < 1 || phaseSlots > MAX_PHASE_SLOTS || FRAME_US % phaseSlots !== 0) {
      throw new InvalidArgumentError(`phaseSlots must divide ${FRAME_US} µs, 1 to ${MAX_PHASE_SLOTS}: ${phaseSlots}`);
    }
    this.tickUs = FRAME_US / phaseSlots;
    this.phaseSlots = phaseSlots;
    this.slotSessions = new Array<number>(phaseSlots).fill(0);
    this.refusalsEveryTicks = REFUSALS_EVERY_US / this.tickUs;
    this.onTick = options.onTick;
    this.afterTick = options.afterTick;
    this.native = new NativeEngine(this.events, this.audio, phaseSlots, options.sessionsPerSlot ?? DEFAULT_SESSIONS_PER_SLOT);
    this.refusalReasons = NativeEngine.refusalReasons();
    this.refusalsPublished = new Float64Array(this.refusalReasons.length);
    this.clock = options.clock ?? 'realtime';
    this.logger = options.logger;
    this.counters = new MediaCounterSource(mediaModule().MediaEngine.counterNames(), (out) => this.native.readCounters(out));
  }

  static monotonicUs(): number {
    return mediaModule().MediaEngine.monotonicUs();
  }

  // The first phase-slot boundary of the monotonic clock after `afterUs`. Sessions keep their
  // frames on these boundaries, so a timer aimed at them processes one frame per due session.
  nextTickBoundaryUs(afterUs: number): number {
    return (Math.floor(afterUs / this.tickUs) + 1) * this.tickUs;
  }

  get tickIntervalUs(): number {
    return this.tickUs;
  }

  // The first slot boundary after `afterUs` whose slot has sessions (the next one if none has).
  private nextOccupiedBoundaryUs(afterUs: number): number {
    const first = this.nextTickBoundaryUs(afterUs);
    for (let k = 0; k < this.phaseSlots; k++) {
      const boundaryUs = first + k * this.tickUs;
      if (this.slotSessions[Math.round((boundaryUs % FRAME_US) / this.tickUs) % this.phaseSlots]! > 0) return boundaryUs;
    }
    return first;
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  createRtpSession(
    callId: string,
    options: RtpSessionOptions,
    extra: { startUs?: number; onOutbound?: OutboundPacketSink } = {},
  ): RtpSessionHandle {
    const parsed = checkedRtpSessionOptionsSchema.parse(options);
    if ((parsed.transport === 'external') !== (extra.onOutbound !== undefined)) {
      throw new InvalidArgumentError('an external transport needs onOutbound, and only it');
    }
    const echoCancellation = echoCancellationFor(parsed.echoCancellation, parsed.codec, legRateOf(parsed.codec, parsed.botRateHz), parsed.botRateHz);
    const created = callNative(() => this.native.createRtpSession({ ...parsed, echoCancellation, startUs: extra.startUs }));
    const session = this.register(callId, created, parsed.botRateHz, networkCodecOf(parsed.codec));
    if (extra.onOutbound) this.packetSinks.set(session, extra.onOutbound);
    return { session, localHost: created.localHost, localPort: created.localPort };
  }

  createPcmSession(callId: string, options: PcmSessionOptions, startUs?: number): MediaSession {
    const parsed = pcmSessionOptionsSchema.parse(options);
    const echoCancellation = echoCancellationFor(parsed.echoCancellation, 'L16', parsed.legRateHz, parsed.botRateHz);
    const created = callNative(() => this.native.createPcmSession({ ...parsed, echoCancellation, startUs }));
    return this.register(callId, created, parsed.botRateHz, 'L16');
  }

  // Processes everything due at `nowUs` (monotonic µs; the native clock when omitted).
  tick(nowUs?: number): void {
    const count = this.native.tick(nowUs);
    for (let i = 0; i < count; i++) {
      const base = i * 4;
      const session = this.sessions.get(this.events[base]!);
      if (session === undefined) continue;
      const type = this.events[base + 1]!;
      if (type === SessionEventType.frame && this.packetSinks.has(session)) this.tickedExternal.push(session);
      try {
        this.dispatch(session, type, this.events[base + 2]!, this.events[base + 3]!);
      } catch (error) {
        // A throwing listener must not stop the other calls' media.
        this.logger?.error({ callId: session.callId, err: error }, 'media event listener threw');
      }
    }
    if (++this.ticksSinceRefusals >= this.refusalsEveryTicks) this.publishRefusals();
    // Packets come out of a session's frame: only sessions that processed one are asked.
    for (const session of this.tickedExternal) {
      const sink = this.packetSinks.get(session);
      if (sink === undefined) continue;
      const packets = session.takeOutboundPackets();
      if (packets.length === 0) continue;
      try {
        sink(packets);
      } catch (error) {
        this.logger?.error({ callId: session.callId, err: error }, 'outbound packet sink threw');
      }
    }
    this.tickedExternal.length = 0;
    try {
      this.afterTick?.();
    } catch (error) {
      this.logger?.error({ err: error }, 'after-tick hook threw');
    }
  }

  stop(): void {
    for (const session of [...this.sessions.values()]) session.close('shutdown');
    this.stopTimer();
    this.publishRefusals();
    this.counters.detach();
  }

  // Adds what every session refused since the last call to parley_refused_total{surface="media"}.
  publishRefusals(): void {
    this.ticksSinceRefusals = 0;
    const totals = this.native.refusedTotals();
    for (let i = 0; i < totals.length; i++) {
      const delta = totals[i]! - this.refusalsPublished[i]!;
      if (delta > 0) countRefused('media', this.refusalReasons[i]!, delta);
    }
    this.refusalsPublished.set(totals);
  }

  private register(callId: string, created: { id: number; phaseSlot: number }, sampleRateHz: number, networkCodec: NetworkCodec): MediaSession {
    const nativeId = created.id;
    const session = new MediaSession(this.native, {
      callId,
      nativeId,
      sampleRateHz,
      networkCodec,
      frameSamples: (sampleRateHz / 1000) * FRAME_MS,
      onClose: (closed) => {
        this.sessions.delete(closed.nativeId);
        this.packetSinks.delete(closed);
        this.native.remove(closed.nativeId);
        this.slotSessions[created.phaseSlot]!--;
        if (this.sessions.size === 0) {
          this.stopTimer();
          // An idle engine is not read at scrapes (nor kept alive by the metrics); its counts stay.
          this.counters.detach();
        }
      },
    });
    this.sessions.set(nativeId, session);
    this.counters.attach();
    if (this.slotSessions[created.phaseSlot]!++ === 0) this.reaimTimer();
    if (this.clock === 'realtime' && !this.timerAimed && !this.ticking) this.startTimer();
    return session;
  }

  private dispatch(session: MediaSession, type: number, value: number, extra: number): void {
    switch (type) {
      case SessionEventType.frame:
        for (let frame = 0; frame < value; frame++) session.emit('audio', session.callerFrame(this.audio, extra + frame * session.frameSamples));
        break;
      case SessionEventType.speechStarted:
        session.emit('speechStarted', value);
        break;
      case SessionEventType.speechStopped:
        session.emit('speechStopped');
        break;
      case SessionEventType.bargeIn:
        session.emit('bargeIn', value);
        break;
      case SessionEventType.turn: {
        const kind = turnKinds[extra];
        if (kind === undefined) break;
        observeTurnLatency(kind, value);
        session.emit('turn', kind, value);
        break;
      }
      case SessionEventType.dtmf:
        session.emit('dtmf', String.fromCharCode(value), extra);
        break;
      case SessionEventType.markReached:
        session.dispatchMark(value);
        break;
      case SessionEventType.malformed:
        this.logger?.warn({ callId: session.callId, reason: value }, 'dropping malformed media packets (counted in stats)');
        break;
      case SessionEventType.refused:
        this.logger?.warn(
          { callId: session.callId, reason: this.refusalReasons[value] },
          'refusing inbound media datagrams (the rest are counted in parley_refused_total)',
        );
        break;
      case SessionEventType.remoteLatched:
        if (value === 1) this.logger?.info({ callId: session.callId }, 'media source moved (NAT rebinding or learning)');
        break;
      default:
        break;
    }
  }

  private startTimer(): void {
    this.nextTickUs = this.nextOccupiedBoundaryUs(MediaEngine.monotonicUs());
    this.runTimer();
  }

  private readonly runTimer = (): void => {
    this.timerAimed = false;
    const startUs = MediaEngine.monotonicUs();
    // Called by startTimer before the first boundary: only aims.
    if (startUs >= this.nextTickUs) {
      this.ticking = true;
      try {
        this.tick(startUs);
      } finally {
        this.ticking = false;
      }
      const doneUs = MediaEngine.monotonicUs();
      observeTick(doneUs - startUs, startUs - this.nextTickUs);
      this.onTick?.(this.nextTickUs, startUs, doneUs);
      // The last session closed during the tick: no timer runs without sessions.
      if (this.sessions.size === 0) return;
      // After a long stall, realign instead of firing a burst of catch-up ticks: any tick
      // processes every session due by then, whatever its slot.
      this.nextTickUs = this.nextOccupiedBoundaryUs(Math.max(this.nextTickUs, doneUs));
    }
    this.aimTimer();
  };

  private aimTimer(): void {
    this.timer ??= new (tickTimerModule().TickTimer)(this.runTimer);
    this.timer.aim(this.nextTickUs);
    this.timerAimed = true;
  }

  // A slot the timer was skipping has a session now: aim at the next occupied boundary (inside a
  // tick there is nothing to do: the timer is aimed right after it, with the new session counted).
  private reaimTimer(): void {
    if (!this.timerAimed || this.ticking) return;
    // The boundary the timer was aimed at stays if it comes first (or has passed unserved).
    this.nextTickUs = Math.min(this.nextTickUs, this.nextOccupiedBoundaryUs(MediaEngine.monotonicUs()));
    this.aimTimer();
  }

  private stopTimer(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.timerAimed = false;
  }
}
