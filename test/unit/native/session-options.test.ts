// Hostile option values straight into the native boundary (no schema in front): every one must
// come back as a typed JS error or a working session, never as a SIGFPE or an abort of the
// process (which would fail this file as a crashed worker).
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../../engine/errors.js';
import { MediaEngine } from '../../../engine/media/media-engine.js';
import { mediaModule } from '../../../engine/media/media-engine-binding.js';

const hostile: unknown[] = [
  -1, 0, 1, -0x80000000, 0x7fffffff, 2 ** 32 + 20, 2 ** 40, -(2 ** 53), 2 ** 63, 1e308, 0.5, -20.25,
  Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.MAX_SAFE_INTEGER, '20', true, null, {},
];

const numericKeys = [
  'botRateHz', 'playoutMaxMs', 'vadAggressiveness', 'vadHangoverMs', 'bargeInMinSpeechMs', 'payloadType',
  'telephoneEventPayloadType', 'opusBitrateBps', 'opusComplexity', 'localPort', 'remotePort', 'jitterMinDelayMs',
  'jitterMaxDelayMs', 'sourceLearningMs', 'relatchSilenceMs', 'relatchPackets', 'startUs', 'telephoneEventClockHz',
  'packetMs', 'echoMaxDelayMs', 'echoTailMs',
];

function outcome(run: () => unknown): string {
  try {
    run();
    return 'ok';
  } catch (error) {
    return (error as { code?: string }).code ?? `untyped: ${String(error)}`;
  }
}

describe('native session options at the boundary', () => {
  const { MediaEngine: NativeEngine } = mediaModule();
  const native = new NativeEngine(new Int32Array(4 * 1024), new Int16Array(1 << 16));

  it('refuses every out-of-range, NaN, infinite, fractional or mistyped number with ERR_PARLEY_INVALID_ARGUMENT', () => {
    const seen = new Map<string, number>();
    for (const codec of ['PCMU', 'G722', 'opus']) {
      for (const key of numericKeys) {
        for (const value of hostile) {
          const options = { codec, transport: 'external', remoteHost: '127.0.0.1', remotePort: 4000, [key]: value };
          const result = outcome(() => native.remove(native.createRtpSession(options).id));
          expect(['ok', 'ERR_PARLEY_INVALID_ARGUMENT'], `${codec} ${key}=${String(value)} gave ${result}`).toContain(result);
          seen.set(result, (seen.get(result) ?? 0) + 1);
        }
      }
      for (const value of hostile) {
        const result = outcome(() => native.remove(native.createPcmSession({ legRateHz: value, playoutMaxMs: value }).id));
        expect(['ok', 'ERR_PARLEY_INVALID_ARGUMENT']).toContain(result);
      }
    }
    expect(seen.get('ERR_PARLEY_INVALID_ARGUMENT')).toBeGreaterThan(numericKeys.length * 3 * 10);
  });

  it('refuses hostile ids, times, ports and digits on every per-session call', () => {
    const { id } = native.createRtpSession({ codec: 'PCMU', transport: 'external' });
    const packet = new Uint8Array(172).fill(0xff);
    packet[0] = 0x80;
    for (const value of hostile) {
      const v = value as number;
      const calls = [
        () => native.tick(v),
        () => native.ingest(id, packet, v),
        () => native.ingest(v, packet),
        () => native.mark(id, v),
        () => native.setRemote(id, '127.0.0.1', v),
        () => native.redirect(id, '127.0.0.1', v),
        () => native.redirect(id, value as string, 4000),
        () => native.switchCodec(id, 'PCMA', v),
        () => native.switchCodec(id, value as string, 8),
        () => native.rekeyRemote(id, value as string, new Uint8Array(30)),
        () => native.sendDtmf(id, value as string),
        () => native.stats(v),
        () => native.pushBotAudio(id, new Int16Array(160), v),
      ];
      for (const call of calls) expect(['ok', 'ERR_PARLEY_INVALID_ARGUMENT', 'ERR_PARLEY_INVALID_STATE']).toContain(outcome(call));
    }
    native.remove(id);
  });

  it('refuses bot audio that is not an Int16Array, whatever else it is, and queues none of it', () => {
    const { id } = native.createPcmSession({});
    const notPcm: unknown[] = [new Uint8Array(320), new Uint16Array(160), new Float32Array(160), Buffer.alloc(320), new DataView(new ArrayBuffer(320)), new ArrayBuffer(320), [1, 2], 'pcm', 160, null, undefined, {}];
    for (const value of notPcm) expect(outcome(() => native.pushBotAudio(id, value as Int16Array)), String(value)).toBe('ERR_PARLEY_INVALID_ARGUMENT');
    expect(native.queuedBotSamples(id)).toBe(0);
    expect(native.pushBotAudio(id, new Int16Array(160))).toBe(true);
    expect(native.queuedBotSamples(id)).toBe(160);
    native.remove(id);
  });

  it('takes a telephone-event clock of 0 or 8000-48000 Hz and a packet time of 0 or 10-60 ms in 10 ms steps, nothing between', () => {
    const create = (extra: Record<string, unknown>) =>
      outcome(() => native.remove(native.createRtpSession({ codec: 'PCMU', transport: 'external', telephoneEventPayloadType: 101, ...extra }).id));
    for (const hz of [0, 8000, 16000, 48000]) expect(create({ telephoneEventClockHz: hz }), `${hz} Hz`).toBe('ok');
    for (const hz of [1, 4000, 7999, 48001, 96000]) expect(create({ telephoneEventClockHz: hz }), `${hz} Hz`).toBe('ERR_PARLEY_INVALID_ARGUMENT');
    for (const ms of [0, 10, 20, 30, 60]) expect(create({ packetMs: ms }), `${ms} ms`).toBe('ok');
    for (const ms of [5, 15, 25, 70, 80]) expect(create({ packetMs: ms }), `${ms} ms`).toBe('ERR_PARLEY_INVALID_ARGUMENT');
  });

  it('the schema in front refuses the same values with a typed error before native code sees them', () => {
    const engine = new MediaEngine({ clock: 'manual' });
    for (const value of [Number.NaN, Number.POSITIVE_INFINITY, -1, 2 ** 40, 0.5]) {
      expect(() => engine.createRtpSession('hostile', { codec: 'PCMU', jitterMaxDelayMs: value })).toThrow(/jitterMaxDelayMs|Too|number|integer/i);
    }
    expect(() => engine.createRtpSession('hostile', { codec: 'PCMU', jitterMinDelayMs: 500, jitterMaxDelayMs: 100 })).toThrow(/jitterMinDelayMs/);
    expect(() => engine.createRtpSession('hostile', { codec: 'nope', transport: 'udp' })).toThrow(InvalidArgumentError);
    engine.stop();
  });

  it('turns echo cancellation on by default for telephone legs only, and refuses it where it cannot run', () => {
    const engine = new MediaEngine({ clock: 'manual' });
    try {
      const echoOf = (session: { stats(): { echo?: unknown } }): boolean => session.stats().echo !== undefined;
      const rtp = (options: object): boolean => echoOf(engine.createRtpSession('echo-defaults', { transport: 'udp', ...options }).session);
      expect(rtp({ codec: 'PCMU' })).toBe(true);
      expect(rtp({ codec: 'G722' })).toBe(true);
      expect(rtp({ codec: 'L16/16000' })).toBe(true);
      expect(rtp({ codec: 'opus' })).toBe(false); // a browser or softphone cancels its own
      expect(rtp({ codec: 'opus', echoCancellation: true })).toBe(true);
      expect(rtp({ codec: 'PCMU', echoCancellation: false })).toBe(false);
      // 48 kHz both ways: no rate the canceller runs at, so off by default and refused when asked.
      expect(rtp({ codec: 'L16/48000', botRateHz: 48000 })).toBe(false);
      expect(() => engine.createRtpSession('echo-48k', { codec: 'L16/48000', botRateHz: 48000, echoCancellation: true })).toThrow(InvalidArgumentError);
      expect(echoOf(engine.createPcmSession('echo-pcm', { legRateHz: 8000 }))).toBe(true);
      // A 48 kHz leg to a 16 kHz bot cancels at 16 kHz, after the rate change.
      expect(echoOf(engine.createPcmSession('echo-pcm-48k', { legRateHz: 48000, botRateHz: 16000 }))).toBe(true);
    } finally {
      engine.stop();
    }
  });
});
