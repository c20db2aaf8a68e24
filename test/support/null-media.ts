// The CallMedia face with no media session behind it, for benches and tests that exercise a bot
// connector alone: caller frames are emitted by hand, and bot audio is only counted.
import { EventEmitter } from 'node:events';
import type { CallMedia, CallMediaEvents, NetworkCodec } from '../../engine/call/call-media.js';

export class NullMedia extends EventEmitter<CallMediaEvents> implements CallMedia {
  readonly networkCodec: NetworkCodec = 'PCMU';
  readonly queuedMs = 0;
  readonly frameSamples: number;
  playedFrames = 0;
  readonly played: Int16Array[] = [];
  private waiter: { frames: number; resolve: () => void } | undefined;

  constructor(
    readonly callId = 'null-media',
    readonly sampleRateHz = 16000,
    private readonly keep = false,
  ) {
    super();
    this.frameSamples = (sampleRateHz / 1000) * 20;
  }

  // Nothing stays queued here: only a message longer than the bound on its own is refused.
  play(pcm: Int16Array, maxQueuedMs?: number): boolean {
    if (maxQueuedMs !== undefined && (pcm.length * 1000) / this.sampleRateHz > maxQueuedMs) return false;
    this.playedFrames += pcm.length / this.frameSamples;
    if (this.keep) this.played.push(pcm.slice());
    if (this.waiter && this.playedFrames >= this.waiter.frames) this.waiter.resolve();
    return true;
  }

  // Resolves once `frames` frames of bot audio in total have been played.
  untilPlayed(frames: number): Promise<void> {
    return this.playedFrames >= frames ? Promise.resolve() : new Promise((resolve) => (this.waiter = { frames, resolve }));
  }

  mark(): void {}
  clear(): void {}
  sendDtmf(): boolean {
    return true;
  }
  hangup(_reason?: string): void {}
}
