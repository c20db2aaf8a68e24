// The engine spreads its sessions' frames over the 20 ms frame (phase slots) and ticks once per
// slot, processing only the sessions due: at load a frame then waits for one slot's work, not for
// every call's. Manual clock: ticks aimed at the slot boundaries, with a few ms of timer lateness.
import alawmulaw from 'alawmulaw';
import { RtpPacket } from 'werift';
import { afterEach, describe, expect, it } from 'vitest';
import { MediaEngine } from '../../../engine/media/media-engine.js';
import type { MediaSession } from '../../../engine/media/media-session.js';
import { sine } from '../../support/test-signals.js';
import { rtpBytes } from '../../support/trace-player.js';

const BOUNDARY_US = 1_000_000;
const FRAME_US = 20_000;
const SLOTS = 4;
const SLOT_US = FRAME_US / SLOTS;
const SESSIONS = 8;
const FRAMES = 40;

let engine: MediaEngine | undefined;
afterEach(() => engine?.stop());

interface Call {
  session: MediaSession;
  // Tick index of every caller frame handed to the bot.
  frameTicks: number[];
  sentTimestamps: number[];
}

function startCalls(count: number, tickRef: { tick: number }, startUs = BOUNDARY_US): Call[] {
  const calls: Call[] = [];
  for (let i = 0; i < count; i++) {
    const call: Call = { session: undefined as never, frameTicks: [], sentTimestamps: [] };
    const { session } = engine!.createRtpSession(
      `phase-${i}`,
      { codec: 'PCMU', botRateHz: 8000, transport: 'external', bargeIn: false },
      { startUs, onOutbound: (packets) => call.sentTimestamps.push(...packets.map((p) => RtpPacket.deSerialize(p).header.timestamp)) },
    );
    session.on('audio', (pcm) => {
      call.frameTicks.push(tickRef.tick);
      session.play(pcm);
    });
    call.session = session;
    calls.push(call);
  }
  return calls;
}

// Feeds every call one RTP packet per 20 ms and ticks once per slot at `tickTimesUs`.
function run(calls: Call[], tickRef: { tick: number }, tickTimesUs: number[]): void {
  const payload = alawmulaw.mulaw.encode(sine(160, 8000, 440, 8000));
  let fed = 0;
  for (tickRef.tick = 0; tickRef.tick < tickTimesUs.length; tickRef.tick++) {
    const nowUs = tickTimesUs[tickRef.tick]!;
    while (BOUNDARY_US + fed * FRAME_US <= nowUs) {
      for (const call of calls) call.session.ingest(rtpBytes({ payloadType: 0, ssrc: 0xca11, sequenceNumber: fed, timestamp: fed * 160 }, payload), nowUs);
      fed++;
    }
    engine!.tick(nowUs);
  }
}

function expectContiguous(timestamps: number[]): void {
  expect(timestamps.length).toBeGreaterThan(FRAMES / 2);
  expect(timestamps.slice(1).map((ts, i) => ts - timestamps[i]!)).toEqual(timestamps.slice(1).map(() => 160));
}

describe('phase slots', () => {
  it('spreads sessions over the slots and processes each once per 20 ms, in its own slot only', () => {
    engine = new MediaEngine({ clock: 'manual', phaseSlots: SLOTS, sessionsPerSlot: 0 });
    expect(engine.tickIntervalUs).toBe(SLOT_US);
    const tickRef = { tick: 0 };
    const calls = startCalls(SESSIONS, tickRef);
    // Up to 4 ms late, never past the next slot's boundary.
    const lateness = [0, 4_000, 1_500, 300, 3_000, 0, 2_500];
    const ticks = Array.from({ length: FRAMES * SLOTS }, (_, k) => BOUNDARY_US + k * SLOT_US + lateness[k % lateness.length]!);
    run(calls, tickRef, ticks);

    const slotOf = calls.map((call) => call.frameTicks[0]! % SLOTS);
    // Two sessions in each slot: the frames' due times are spread over the 20 ms.
    expect([...slotOf].sort()).toEqual([0, 0, 1, 1, 2, 2, 3, 3]);
    for (const [i, call] of calls.entries()) {
      // Every tick of its slot hands the bot exactly one frame, and no other tick does.
      expect(call.frameTicks).toEqual(Array.from({ length: FRAMES }, (_, n) => slotOf[i]! + n * SLOTS));
      // Its echo goes out one packet per frame, none lost or repeated (RFC 3550 section 5.1).
      expectContiguous(call.sentTimestamps);
    }
  });

  it('loses and repeats no frame when a tick runs past the next slot', () => {
    engine = new MediaEngine({ clock: 'manual', phaseSlots: SLOTS, sessionsPerSlot: 0 });
    const tickRef = { tick: 0 };
    const calls = startCalls(SESSIONS, tickRef);
    // Every 7th tick fires 12 ms late (two slots behind), the next ones on time again.
    const ticks: number[] = [];
    for (let k = 0; k < FRAMES * SLOTS; k++) {
      const aimed = BOUNDARY_US + k * SLOT_US + (k % 7 === 3 ? 12_000 : 0);
      ticks.push(Math.max(aimed, ticks.at(-1) ?? 0));
    }
    run(calls, tickRef, ticks);
    const lastUs = ticks.at(-1)!;
    for (const call of calls) {
      const phaseUs = (call.frameTicks[0]! % SLOTS) * SLOT_US;
      // Every frame due by the last tick was handed over once: one per 20 ms since the start.
      expect(call.frameTicks).toHaveLength(Math.floor((lastUs - BOUNDARY_US - phaseUs) / FRAME_US) + 1);
      expectContiguous(call.sentTimestamps);
    }
  });

  it('serves the slots whose frames fell due longest ago first after a stall', () => {
    engine = new MediaEngine({ clock: 'manual', phaseSlots: SLOTS, sessionsPerSlot: 0 });
    const tickRef = { tick: 0 };
    const calls = startCalls(SESSIONS, tickRef);
    const served: number[] = [];
    calls.forEach((call, i) => call.session.on('audio', () => served.push(i)));
    // A frame's 4 slots and slots 0 and 1 of the next on time, then a stall to 2 ms past slot 0 of
    // the third frame: slots 2 and 3 of the second frame are due, 12 and 7 ms ago, and slot 0 of
    // the third, 2 ms ago.
    const onTime = Array.from({ length: SLOTS + 2 }, (_, k) => BOUNDARY_US + k * SLOT_US);
    run(calls, tickRef, [...onTime, BOUNDARY_US + 2 * FRAME_US + 2_000]);
    const slotOf = calls.map((call) => call.frameTicks[0]! % SLOTS);
    const stalled = served.slice(-SESSIONS + 2).map((i) => slotOf[i]);
    expect(stalled).toEqual([2, 2, 3, 3, 0, 0]);
  });

  it('puts a new session in the slot a closed one left', () => {
    engine = new MediaEngine({ clock: 'manual', phaseSlots: SLOTS, sessionsPerSlot: 0 });
    const tickRef = { tick: 0 };
    const calls = startCalls(SESSIONS, tickRef);
    run(calls, tickRef, Array.from({ length: SLOTS }, (_, k) => BOUNDARY_US + k * SLOT_US));
    const leaving = calls[5]!;
    const slot = leaving.frameTicks[0]! % SLOTS;
    leaving.session.close('test');
    const [joined] = startCalls(1, tickRef, BOUNDARY_US + FRAME_US);
    run([joined!], tickRef, Array.from({ length: SLOTS }, (_, k) => BOUNDARY_US + FRAME_US + k * SLOT_US));
    expect(joined!.frameTicks[0]! % SLOTS).toBe(slot);
  });

  it('keeps handing every frame to the calls left in a slot after one of its calls closes', () => {
    engine = new MediaEngine({ clock: 'manual', phaseSlots: SLOTS, sessionsPerSlot: 0 });
    const tickRef = { tick: 0 };
    const calls = startCalls(SESSIONS, tickRef);
    const ticks = Array.from({ length: FRAMES * SLOTS }, (_, k) => BOUNDARY_US + k * SLOT_US);
    run(calls, tickRef, ticks.slice(0, SLOTS));
    // Sessions 0 and 4 share slot 0: close the first one joined, so the slot's list changes order.
    const [leaving, ...staying] = calls;
    leaving!.session.close('test');
    run(staying, tickRef, ticks.slice(SLOTS));
    for (const call of staying) {
      const slot = call.frameTicks[0]! % SLOTS;
      // Ticks were counted from 0 again for the second run: one frame in each of its slot's ticks.
      expect(call.frameTicks.slice(1)).toEqual(Array.from({ length: FRAMES - 1 }, (_, n) => slot + n * SLOTS));
      expectContiguous(call.sentTimestamps);
    }
  });

  it('fills a slot before opening the next, evenly spaced, then spreads new calls over the emptiest', () => {
    engine = new MediaEngine({ clock: 'manual', phaseSlots: SLOTS, sessionsPerSlot: 2 });
    const tickRef = { tick: 0 };
    const slotsOf = (calls: Call[]): number[] => {
      const perSlot = [0, 0, 0, 0];
      for (const call of calls) perSlot[call.frameTicks[0]! % SLOTS]!++;
      return perSlot;
    };
    const ticks = (fromUs: number): number[] => Array.from({ length: SLOTS }, (_, k) => fromUs + k * SLOT_US);
    // Slot 2 opens second: half a frame from slot 0, not beside it.
    const first = startCalls(4, tickRef);
    run(first, tickRef, ticks(BOUNDARY_US));
    expect(slotsOf(first)).toEqual([2, 0, 2, 0]);
    const more = startCalls(6, tickRef, BOUNDARY_US + FRAME_US);
    run(more, tickRef, ticks(BOUNDARY_US + FRAME_US));
    // Slots 1 and 3 fill to 2 each; the last two calls go to the emptiest slots then.
    expect(slotsOf([...first, ...more])).toEqual([3, 2, 3, 2]);
  });

  it('wakes its realtime timer only at the boundaries of slots that have calls, and for a new one at once', async () => {
    const dues: number[] = [];
    let waiter: { count: number; resolve: () => void } | undefined;
    engine = new MediaEngine({
      phaseSlots: SLOTS,
      sessionsPerSlot: 1,
      onTick: (dueUs) => {
        dues.push(dueUs);
        if (waiter && dues.length >= waiter.count) waiter.resolve();
      },
    });
    const ticks = (count: number): Promise<void> => new Promise((resolve) => (waiter = { count: dues.length + count, resolve }));
    const phasesOf = (from: number): Set<number> => new Set(dues.slice(from).map((due) => due % FRAME_US));
    engine.createPcmSession('first', { botRateHz: 16000, legRateHz: 16000 });
    await ticks(6);
    expect(phasesOf(0)).toEqual(new Set([0]));
    // The second call opens slot 2 (half a frame away), which had none: from then on its
    // boundaries are ticked too.
    engine.createPcmSession('second', { botRateHz: 16000, legRateHz: 16000 });
    const from = dues.length;
    await ticks(8);
    expect(phasesOf(from)).toEqual(new Set([0, 2 * SLOT_US]));
  });

  it('leaves no timer running when the last call closes inside a tick', async () => {
    let closedInTick: () => void = () => {};
    const afterTick = new Promise<void>((resolve) => (closedInTick = resolve));
    engine = new MediaEngine({ onTick: () => setImmediate(closedInTick) });
    const session = engine.createPcmSession('closing', { botRateHz: 16000, legRateHz: 16000 });
    session.on('audio', () => session.close('done'));
    await afterTick;
    expect(engine.sessionCount).toBe(0);
    // The realtime loop's timer (private): one left would tick an empty engine forever (and hold
    // it in memory).
    expect((engine as unknown as { timer: unknown }).timer).toBeUndefined();
    expect((engine as unknown as { timerAimed: boolean }).timerAimed).toBe(false);
  });

  it('refuses a slot count that does not divide the frame', () => {
    expect(() => new MediaEngine({ clock: 'manual', phaseSlots: 3 })).toThrow(/phaseSlots/);
  });
});
