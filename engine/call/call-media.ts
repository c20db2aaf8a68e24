// What a bot connector sees of a call's media: PCM16 frames out of the caller's leg and VAD /
// barge-in / DTMF events, and a playout queue back toward the caller. The native media session
// implements it for real calls; bot connectors and the demo bot depend only on this face.
import type { EventEmitter } from 'node:events';
import type { TurnKind } from './turn-latency.js';

export type NetworkCodec = 'PCMU' | 'PCMA' | 'G722' | 'opus' | 'L16';

export interface CallMediaEvents {
  // One 20 ms frame of caller audio, PCM16 mono at `sampleRateHz`. The array is only valid during
  // the listener call (it may be a view on a reused native buffer): copy it to keep it.
  audio: [pcm: Int16Array];
  // `speechMs`: how much of the caller's speech (as the VAD heard it) came before this event; more
  // than one frame when speech over the bot was first checked against its echo (docs/bot-protocol.md).
  speechStarted: [speechMs: number];
  speechStopped: [];
  // The caller talked over bot audio: the playout queue has already been flushed; `playedMs` is how
  // much of the interrupted answer reached the caller (since the queue last ran dry or was cleared).
  bargeIn: [playedMs: number];
  dtmf: [digit: string, durationMs: number];
  // All bot audio queued before mark(name) has been sent to the caller.
  markPlayed: [name: string];
  // A turn's latency was measured (turn-latency.ts).
  turn: [kind: TurnKind, latencyMs: number];
  ended: [reason: string];
}

export interface CallMedia extends EventEmitter<CallMediaEvents> {
  readonly callId: string;
  readonly sampleRateHz: number;
  readonly networkCodec: NetworkCodec;
  // Queues bot audio (PCM16 mono at sampleRateHz) for paced playout toward the caller. With
  // `maxQueuedMs`, nothing is queued and false returned when the queue would then hold more: one
  // call for the bound and the audio, where queuedMs then play would cross into native code twice.
  // `pcm` is lent for the call only (the Twilio protocol reuses its array for the next message):
  // an implementation that keeps the audio copies it.
  play(pcm: Int16Array, maxQueuedMs?: number): boolean;
  mark(name: string): void;
  // Drops all queued bot audio now; pending marks are reported as played in order, as Twilio does.
  clear(): void;
  // False when the digits can't go to the caller: no telephone-event was negotiated on the leg,
  // or its digit queue is full.
  sendDtmf(digits: string): boolean;
  hangup(reason: string): void;
  // Milliseconds of bot audio queued but not yet sent.
  readonly queuedMs: number;
}
