// Drives every media session of the process: one native tick per 20 ms for all calls, aimed at
// 20 ms boundaries of the monotonic clock (the native side keeps each session's own schedule, so
// a late timer delays a frame but never shifts the media clock). With no session, no timer runs.
import type { Logger } from 'pino';
import type { NetworkCodec } from '../call/call-media.js';
import { observeTurnLatency, turnKinds } from '../call/turn-latency.js';
import { callNative, InvalidArgumentError } from '../errors.js';
import { countRefused } from '../metrics.js';
import { mediaModule, SessionEventType, type NativeMediaEngine } from './media-engine-binding.js';
import { MediaCounterSource, observeTick } from './media-metrics.js';
import { MediaSession } from './media-session.js';
import {
  checkedRtpSessionOptionsSchema,
  pcmSessionOptionsSchema,
  type PcmSessionOptions,
  type RtpSessionOptions,
} from './media-session-options.js';

const FRAME_MS = 20;
const FRAME_US = FRAME_MS * 1000;
const EVENT_CAPACITY = 16384;
// Refused-datagram totals go to /metrics once a second: live during a flood, one crossing.
const REFUSALS_EVERY_TICKS = 50;

export interface MediaEngineOptions {
  // 'realtime' runs its own 20 ms loop; 'manual' leaves tick(nowUs) to the caller (tests, bench).
  clock?: 'realtime' | 'manual';
  // Caller audio one tick can hand to JS, in samples (all sessions together).
  audioCapacitySamples?: number;
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
  private timer: NodeJS.Timeout | undefined;
  private nextTickUs = 0;
  private readonly refusalReasons: string[];
  private readonly refusalsPublished: Float64Array;
  private ticksSinceRefusals = 0;
  private readonly counters: MediaCounterSource;

  constructor(options: MediaEngineOptions = {}) {
    const { MediaEngine: NativeEngine } = mediaModule();
    this.audio = new Int16Array(options.audioCapacitySamples ?? 4 * 1024 * 1024);
    this.native = new NativeEngine(this.events, this.audio);
    this.refusalReasons = NativeEngine.refusalReasons();
    this.refusalsPublished = new Float64Array(this.refusalReasons.length);
    this.clock = options.clock ?? 'realtime';
    this.logger = options.logger;
    this.counters = new MediaCounterSource(mediaModule().MediaEngine.counterNames(), (out) => this.native.readCounters(out));
  }

  static monotonicUs(): number {
    return mediaModule().MediaEngine.monotonicUs();
  }

  // The first 20 ms boundary of the monotonic clock after `afterUs`. Sessions keep their frames
  // on these boundaries, so a timer aimed at them processes one frame per session per tick.
  static nextFrameBoundaryUs(afterUs: number): number {
    return (Math.floor(afterUs / FRAME_US) + 1) * FRAME_US;
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
    const session = this.register(callId, created.id, parsed.botRateHz, networkCodecOf(parsed.codec));
    if (extra.onOutbound) this.packetSinks.set(session, extra.onOutbound);
    return { session, localHost: created.localHost, localPort: created.localPort };
  }

  createPcmSession(callId: string, options: PcmSessionOptions, startUs?: number): MediaSession {
    const parsed = pcmSessionOptionsSchema.parse(options);
    const echoCancellation = echoCancellationFor(parsed.echoCancellation, 'L16', parsed.legRateHz, parsed.botRateHz);
    const created = callNative(() => this.native.createPcmSession({ ...parsed, echoCancellation, startUs }));
    return this.register(callId, created.id, parsed.botRateHz, 'L16');
  }

  // Processes everything due at `nowUs` (monotonic µs; the native clock when omitted).
  tick(nowUs?: number): void {
    const count = this.native.tick(nowUs);
    for (let i = 0; i < count; i++) {
      const base = i * 4;
      const session = this.sessions.get(this.events[base]!);
      if (session === undefined) continue;
      try {
        this.dispatch(session, this.events[base + 1]!, this.events[base + 2]!, this.events[base + 3]!);
      } catch (error) {
        // A throwing listener must not stop the other calls' media.
        this.logger?.error({ callId: session.callId, err: error }, 'media event listener threw');
      }
    }
    if (++this.ticksSinceRefusals >= REFUSALS_EVERY_TICKS) this.publishRefusals();
    for (const [session, sink] of this.packetSinks) {
      const packets = session.takeOutboundPackets();
      if (packets.length === 0) continue;
      try {
        sink(packets);
      } catch (error) {
        this.logger?.error({ callId: session.callId, err: error }, 'outbound packet sink threw');
      }
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

  private register(callId: string, nativeId: number, sampleRateHz: number, networkCodec: NetworkCodec): MediaSession {
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
        if (this.sessions.size === 0) {
          this.stopTimer();
          // An idle engine is not read at scrapes (nor kept alive by the metrics); its counts stay.
          this.counters.detach();
        }
      },
    });
    this.sessions.set(nativeId, session);
    this.counters.attach();
    if (this.clock === 'realtime' && this.timer === undefined) this.startTimer();
    return session;
  }

  private dispatch(session: MediaSession, type: number, value: number, extra: number): void {
    switch (type) {
      case SessionEventType.frame:
        for (let frame = 0; frame < value; frame++) {
          const start = extra + frame * session.frameSamples;
          session.emit('audio', this.audio.subarray(start, start + session.frameSamples));
        }
        break;
      case SessionEventType.speechStarted:
        session.emit('speechStarted');
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
    this.nextTickUs = MediaEngine.nextFrameBoundaryUs(MediaEngine.monotonicUs());
    const loop = (): void => {
      // Node's timers count whole milliseconds and may fire up to 1 ms before the boundary: such
      // a tick would find no frame due and the next one two, so wait for the boundary itself.
      const startUs = MediaEngine.monotonicUs();
      if (startUs >= this.nextTickUs) {
        this.tick();
        observeTick(MediaEngine.monotonicUs() - startUs, startUs - this.nextTickUs);
        this.nextTickUs += FRAME_US;
        const now = MediaEngine.monotonicUs();
        // After a long stall, realign instead of firing a burst of catch-up timers.
        if (this.nextTickUs < now) this.nextTickUs = MediaEngine.nextFrameBoundaryUs(now);
      }
      this.timer = setTimeout(loop, Math.max(0, (this.nextTickUs - MediaEngine.monotonicUs()) / 1000));
    };
    loop();
  }

  private stopTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
