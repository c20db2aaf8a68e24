// Types of the native `media` module (native/addon/media_engine_binding.cc).
import type { TurnLatencyStats } from '../call/turn-latency.js';
import { nativeModule } from '../native/addon.js';

export interface NativeSessionStats {
  codec: string;
  frames: number;
  skippedFrames: number;
  speechFrames: number;
  bargeIns: number;
  // Caller speech frames the barge-in echo guard recognised as the bot's own echo.
  echoFrames: number;
  botSamplesPlayed: number;
  botSamplesDropped: number;
  // Turn latency in media time (engine/call/turn-latency.ts).
  turns: { response: TurnLatencyStats; interruption: TurnLatencyStats };
  // With echo cancellation on (docs/echo-cancellation.md): the echo delay found (-1: none), the
  // linear filter's echo reduction (dB, smoothed, last value), and the frames it skipped because
  // nothing had been sent within its reach.
  echo?: { delayMs: number; erleDb: number; converged: boolean; resets: number; bypassedFrames: number };
  packetsReceived?: number;
  packetsSent?: number;
  malformed?: number;
  srtpFailed?: number;
  foreignSource?: number;
  unsignalledSource?: number;
  sourceCandidate?: number;
  foreignSsrc?: number;
  relatches?: number;
  wrongPayloadType?: number;
  rtcpReceived?: number;
  decodeErrors?: number;
  sendDropped?: number;
  ssrcChanges?: number;
  underrunSamples?: number;
  overflowSamples?: number;
  droppedOutboundFrames?: number;
  jitter?: {
    currentDelayMs: number;
    targetDelayMs: number;
    late: number;
    lost: number;
    concealed: number;
    discarded: number;
    duplicates: number;
    reordered: number;
    fecRecovered: number;
    resyncs: number;
    played: number;
    framesDropped: number;
    framesInserted: number;
    comfortNoisePackets: number;
    accelerate: number;
    accelerateMs: number;
    preemptiveExpand: number;
    preemptiveExpandMs: number;
    expand: number;
    expandMs: number;
    merge: number;
    comfortNoiseMs: number;
  };
  // RTCP (RFC 3550 section 6.4) on an RTP leg with RTCP on.
  rtcp?: NativeRtcpStats;
}

export interface NativeRtcpStats {
  sent: number;
  received: number;
  malformed: number;
  rttSamples: number;
  // Round-trip time from the peer's LSR/DLSR (section 6.4.1), when it sent any.
  rttLastMs?: number;
  rttMeanMs?: number;
  rttMaxMs?: number;
  // How our stream reaches the peer, by its last report block about it.
  remote?: { fractionLost: number; cumulativeLost: number; jitterMs: number };
  // How the peer's stream reaches us (appendix A.3, A.8).
  local: { expected: number; lost: number; jitterMs: number };
}

export interface NativeMediaEngine {
  createRtpSession(options: object): { id: number; phaseSlot: number; localHost?: string; localPort?: number };
  createPcmSession(options: object): { id: number; phaseSlot: number };
  remove(id: number): void;
  tick(nowUs?: number): number;
  pushBotAudio(id: number, pcm: Int16Array, maxQueuedSamples?: number): boolean;
  mark(id: number, markId: number): boolean;
  clear(id: number): number[];
  sendDtmf(id: number, digits: string): boolean;
  setRemote(id: number, host: string, port: number): void;
  redirect(id: number, host: string, port: number): void;
  rekeyRemote(id: number, profile: string, remoteKey: Uint8Array): void;
  switchCodec(id: number, codec: string, payloadType: number): boolean;
  replaceLeg(id: number, options: object): void;
  setSrtp(id: number, profile?: string, localKey?: Uint8Array, remoteKey?: Uint8Array): void;
  ingest(id: number, packet: Uint8Array, arrivalUs?: number): void;
  takeOutboundPackets(id: number): Buffer[];
  pushCallerPcm(id: number, pcm: Int16Array): void;
  takeOutboundPcm(id: number): Int16Array;
  setPaused(id: number, paused: boolean): void;
  stats(id: number): NativeSessionStats;
  queuedBotSamples(id: number): number;
  refusedTotals(): Float64Array;
  // Every media counter (engine and sessions, live and ended) into `out`, in counterNames() order.
  readCounters(out: Float64Array): void;
}

interface MediaModule {
  MediaEngine: {
    new (events: Int32Array, audio: Int16Array, phaseSlots?: number, sessionsPerSlot?: number): NativeMediaEngine;
    monotonicUs(): number;
    // Names of the refusal reasons refusedTotals() is indexed by (native/media/media_refusal.h).
    refusalReasons(): string[];
    counterNames(): string[];
  };
}

export const mediaModule = (): MediaModule => nativeModule<MediaModule>('media');

// native/addon/tick_timer_binding.cc: a one-shot timer on the monotonic clock, to the µs.
export interface NativeTickTimer {
  // Calls onDue once MediaEngine.monotonicUs() reaches `dueUs` (at once if it has); replaces any earlier aim.
  aim(dueUs: number): void;
  cancel(): void;
}

interface TickTimerModule {
  TickTimer: new (onDue: () => void) => NativeTickTimer;
}

export const tickTimerModule = (): TickTimerModule => nativeModule<TickTimerModule>('tickTimer');

// Mirrors SessionEventType in native/media/session_event.h.
export const SessionEventType = {
  frame: 1,
  speechStarted: 2,
  speechStopped: 3,
  bargeIn: 4,
  dtmf: 5,
  markReached: 6,
  remoteLatched: 7,
  playoutIdle: 8,
  malformed: 9,
  refused: 10,
  turn: 11,
} as const;
