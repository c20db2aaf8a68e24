// MediaEngine's afterTick runs inside every tick, after every event of it was dispatched: the bot
// connections' batched caller frames (engine/bot/bot-frame-batch.ts) go out there, so a tick
// counts as done (and the engine latency ends) only once they have. A throwing hook is contained.
import { afterEach, describe, expect, it } from 'vitest';
import { MediaEngine } from '../../../engine/media/media-engine.js';

const FRAME_US = 20_000;
const frameStartUs = (frame: number): number => 1_000_000 + frame * FRAME_US;

describe('MediaEngine afterTick', () => {
  let engine: MediaEngine | undefined;
  afterEach(() => engine?.stop());

  it('runs once per tick, after the tick has handed out every caller frame, before tick() returns', () => {
    const order: string[] = [];
    engine = new MediaEngine({ clock: 'manual', afterTick: () => order.push('after') });
    for (const callId of ['a', 'b']) {
      const media = engine.createPcmSession(callId, { botRateHz: 16000, legRateHz: 16000, echoCancellation: false, bargeIn: false }, frameStartUs(0));
      media.on('audio', () => order.push(callId));
    }
    for (let frame = 1; frame <= 3; frame++) {
      engine.tick(frameStartUs(frame));
      order.push('returned');
    }
    // Per tick: both calls' frames, then the hook once, then tick() returns.
    const ticks = order.join(' ').split(' returned').filter((part) => part.trim() !== '');
    expect(ticks).toHaveLength(3);
    for (const tick of ticks) {
      const steps = tick.trim().split(' ');
      expect(steps.at(-1)).toBe('after');
      expect(steps.filter((step) => step === 'after')).toHaveLength(1);
      expect(new Set(steps.slice(0, -1))).toEqual(new Set(['a', 'b']));
    }
  });

  it('contains a hook that throws: the next tick still hands out its frames', () => {
    let heard = 0;
    engine = new MediaEngine({
      clock: 'manual',
      afterTick: () => {
        throw new Error('hook failed');
      },
    });
    const media = engine.createPcmSession('a', { botRateHz: 16000, legRateHz: 16000, echoCancellation: false, bargeIn: false }, frameStartUs(0));
    media.on('audio', () => heard++);
    engine.tick(frameStartUs(1));
    const first = heard;
    engine.tick(frameStartUs(2));
    expect(first).toBeGreaterThan(0);
    expect(heard).toBe(first + 1);
  });
});
