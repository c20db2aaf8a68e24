import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import type { BotSession, CallInfo } from '../../../engine/call/call.js';
import { CallCapError } from '../../../engine/call/call-cap.js';
import { CallService } from '../../../engine/call/call-service.js';
import type { MediaLeg, MediaLegEvents } from '../../../engine/call/media-leg.js';
import type { NativeSessionStats } from '../../../engine/media/media-engine-binding.js';
import { MediaEngine } from '../../../engine/media/media-engine.js';
import { metricValue } from '../../support/metric-value.js';

// A leg whose end the test decides (a worker's death is a race the real pool cannot be made to
// lose on demand: the worker dying between the leg's creation and its call's start).
class ScriptedLeg extends EventEmitter<MediaLegEvents> implements MediaLeg {
  readonly callId = 'call-1';
  readonly localPort = undefined;
  readonly placement = 'worker-0';
  endedWith: string | undefined;
  readonly botStarts: CallInfo[] = [];
  readonly botStops: string[] = [];
  readonly closes: string[] = [];
  setPaused(): void {}
  setRemote(): void {}
  redirect(): void {}
  rekeyRemote(): void {}
  setSrtp(): void {}
  changeCodec(): Promise<boolean> {
    return Promise.resolve(false);
  }
  connectTransport(): Promise<void> {
    return Promise.resolve();
  }
  roundTrip(): Promise<void> {
    return Promise.resolve();
  }
  receiveDtmf(): void {}
  sendDtmfThrough(): void {}
  attachBot(info: CallInfo): BotSession {
    this.botStarts.push(info);
    return { stop: (reason) => this.botStops.push(reason) };
  }
  close(reason: string): Promise<NativeSessionStats | undefined> {
    this.closes.push(reason);
    return Promise.resolve(undefined);
  }
  stats(): NativeSessionStats | undefined {
    return undefined;
  }
  end(reason: string): void {
    this.endedWith = reason;
    this.emit('ended', reason);
  }
}

function service(): { calls: CallService; logger: Logger; endLines: () => Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino(new Writable({ write: (chunk: Buffer, _encoding, done) => (lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>), done()) }));
  const calls = new CallService({ engine: new MediaEngine({ logger }), startBot: vi.fn(), maxCallMs: 60_000, logger });
  return { calls, logger, endLines: () => lines.filter((line) => line.msg === 'call ended') };
}

describe('call service', () => {
  it('ends a call once, with the leg\'s reason: bot stopped, leg closed, one end line, out of the registry', async () => {
    const { calls, logger, endLines } = service();
    const leg = new ScriptedLeg();
    const onEnded = vi.fn();
    const call = calls.start({ callId: 'call-1', source: 'sip' }, leg, logger, { onEnded });
    expect(leg.botStarts).toEqual([{ callId: 'call-1', source: 'sip' }]);
    expect(calls.size).toBe(1);
    leg.end('media_worker_failed');
    call.end('caller_hangup');
    expect(onEnded.mock.calls).toEqual([['media_worker_failed']]);
    expect(leg.botStops).toEqual(['media_worker_failed']);
    expect(leg.closes).toEqual(['media_worker_failed']);
    expect(calls.size).toBe(0);
    expect(call.endReason).toBe('media_worker_failed');
    await vi.waitFor(() => expect(endLines()).toHaveLength(1));
    expect(endLines()[0]).toMatchObject({ reason: 'media_worker_failed' });
  });

  it('ends at once, without a bot, a call whose leg ended before it started', async () => {
    const { calls, logger, endLines } = service();
    const leg = new ScriptedLeg();
    leg.end('media_worker_failed');
    const onEnded = vi.fn();
    calls.start({ callId: 'call-1', source: 'webrtc' }, leg, logger, { onEnded });
    expect(onEnded.mock.calls).toEqual([['media_worker_failed']]);
    expect(leg.botStarts).toHaveLength(0);
    expect(leg.closes).toEqual(['media_worker_failed']);
    expect(calls.size).toBe(0);
    await vi.waitFor(() => expect(endLines()).toHaveLength(1));
  });

  it('writes one end line for a leg that ended unanswered', async () => {
    const { calls, logger, endLines } = service();
    const leg = new ScriptedLeg();
    calls.endUnanswered(leg, 'caller_cancel', Date.now() - 1000, logger);
    expect(leg.closes).toEqual(['caller_cancel']);
    await vi.waitFor(() => expect(endLines()).toHaveLength(1));
    expect(endLines()[0]!.durationMs).toBeGreaterThanOrEqual(1000);
  });

  it('holds a cap slot from admission to the leg\'s end, and frees it when the leg cannot be made', async () => {
    const logger = pino({ level: 'silent' });
    const legs: ScriptedLeg[] = [];
    let failNext = false;
    const host = {
      createLeg: () => {
        if (failNext) return Promise.reject(new Error('no free port'));
        const leg = new ScriptedLeg();
        legs.push(leg);
        return Promise.resolve({ leg, result: {} });
      },
    };
    const calls = new CallService({ engine: new MediaEngine({ logger }), startBot: vi.fn(), host, maxCallMs: 60_000, maxCalls: 1, logger });
    await calls.createRtpLeg('call-1', {}, calls.admit('sip'));
    expect(() => calls.admit('asterisk')).toThrow(CallCapError);
    legs[0]!.end('caller_hangup');
    failNext = true;
    await expect(calls.createRtpLeg('call-2', {}, calls.admit('sip'))).rejects.toThrow('no free port');
    failNext = false;
    await calls.createRtpLeg('call-3', {}, calls.admit('webrtc'));
    expect(() => calls.admit('sip')).toThrow(CallCapError);
  });

  it('bounds a surface\'s own share of the cap (the SIP endpoint\'s maxCalls) without taking slots from other surfaces', async () => {
    const logger = pino({ level: 'silent' });
    const host = { createLeg: () => Promise.resolve({ leg: new ScriptedLeg(), result: {} }) };
    const calls = new CallService({ engine: new MediaEngine({ logger }), startBot: vi.fn(), host, maxCallMs: 60_000, maxCalls: 3, logger });
    const refusedBefore = await metricValue('parley_refused_total', { surface: 'sip', reason: 'surface_call_cap' });
    const first = calls.admit('sip', 1);
    const refusal = (() => {
      try {
        calls.admit('sip', 1);
      } catch (error) {
        return error;
      }
    })();
    expect(refusal).toBeInstanceOf(CallCapError);
    expect((refusal as CallCapError).surface).toBe('sip');
    expect(await metricValue('parley_refused_total', { surface: 'sip', reason: 'surface_call_cap' })).toBe(refusedBefore + 1);
    // Other surfaces still have the node's remaining slots, and then the node's cap applies.
    calls.admit('webrtc');
    calls.admit('asterisk');
    expect(() => calls.admit('webrtc')).toThrow(/node is at its cap of 3/);
    first.release();
    first.release();
    calls.admit('sip', 1);
    expect(() => calls.admit('sip', 1)).toThrow(CallCapError);
  });
});
