// A media session's two per-frame ways across the native boundary, on a manual clock: caller
// frames out of the tick (views on the engine's reused audio array) and bot audio into the playout
// queue (its bound checked in the same crossing).
import { afterEach, describe, expect, it } from 'vitest';
import { MediaEngine } from '../../../engine/media/media-engine.js';

const START_US = 1_000_000_000;
const FRAME_US = 20_000;
const RATE_HZ = 16000;
const FRAME_SAMPLES = 320;

let engine: MediaEngine | undefined;
afterEach(() => engine?.stop());

const frameOf = (n: number): Int16Array => Int16Array.from({ length: FRAME_SAMPLES }, (_, i) => ((n * 7919 + i * 31) % 60000) - 30000);

describe('MediaSession', () => {
  it('hands its caller frames in one view, tick after tick, each time with that tick’s samples', () => {
    engine = new MediaEngine({ clock: 'manual' });
    const session = engine.createPcmSession('frames', { botRateHz: RATE_HZ, legRateHz: RATE_HZ, echoCancellation: false, bargeIn: false }, START_US);
    const views: Int16Array[] = [];
    const heard: number[][] = [];
    session.on('audio', (pcm) => {
      views.push(pcm);
      heard.push(Array.from(pcm));
    });
    for (let n = 0; n < 5; n++) {
      session.pushCallerPcm(frameOf(n));
      engine.tick(START_US + n * FRAME_US);
    }
    expect(heard).toEqual([0, 1, 2, 3, 4].map((n) => Array.from(frameOf(n))));
    expect(new Set(views).size).toBe(1);
  });

  it('queues bot audio up to maxQueuedMs, and refuses what would pass it without queuing any of it', () => {
    engine = new MediaEngine({ clock: 'manual' });
    const session = engine.createPcmSession('bound', { botRateHz: RATE_HZ, legRateHz: RATE_HZ }, START_US);
    const frames = (count: number): Int16Array => new Int16Array(count * FRAME_SAMPLES).fill(1000);
    expect(session.play(frames(3), 100)).toBe(true);
    expect(session.play(frames(2), 100)).toBe(true);
    expect(session.queuedMs).toBe(100);
    expect(session.play(frames(1), 100)).toBe(false);
    expect(session.queuedMs).toBe(100);
    // A message that would end past the bound is refused whole, even when part of it would fit.
    expect(session.play(frames(4), 160)).toBe(false);
    expect(session.queuedMs).toBe(100);
    expect(session.play(frames(3), 160)).toBe(true);
    expect(session.queuedMs).toBe(160);
    expect(session.play(frames(1))).toBe(true);
    expect(session.queuedMs).toBe(180);
  });
});
