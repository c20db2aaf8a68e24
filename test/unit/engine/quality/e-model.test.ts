// The reduced E-model against ITU-T values: G.107 Annex B's R-to-MOS table, the default R of
// 93.2, G.113 Appendix I's G.711-with-PLC robustness (Bpl 25.1), and the call score built from a
// session's stats.
import { describe, expect, it } from 'vitest';
import type { NativeSessionStats } from '../../../../engine/media/media-engine-binding.js';
import { callQuality } from '../../../../engine/quality/call-quality.js';
import { codecImpairment, delayImpairment, effectiveEquipmentImpairment, mosFromR, R_DEFAULT, rFactor } from '../../../../engine/quality/e-model.js';
import { qualityBand } from '../../../../engine/quality/quality-metrics.js';

describe('E-model (ITU-T G.107, reduced)', () => {
  it('maps R to MOS by G.107 Annex B\'s formula', () => {
    // MOS = 1 + 0.035 R + R (R - 60)(100 - R) 7e-6: R 90 -> 4.34, 80 -> 4.02, 70 -> 3.60, 60 -> 3.10, 50 -> 2.58.
    for (const [r, mos] of [[90, 4.34], [80, 4.02], [70, 3.6], [60, 3.1], [50, 2.58]] as const) expect(mosFromR(r)).toBeCloseTo(mos, 2);
    expect(mosFromR(-5)).toBe(1);
    expect(mosFromR(120)).toBe(4.5);
  });

  it('gives G.711 with no delay and no loss the default R of 93.2 (MOS 4.41)', () => {
    const r = rFactor({ codec: codecImpairment('PCMU'), oneWayDelayMs: 0, lossPercent: 0 });
    expect(r).toBeCloseTo(R_DEFAULT, 6);
    expect(mosFromR(r)).toBeCloseTo(4.41, 2);
  });

  it('charges random loss through G.711-with-PLC\'s Bpl of 25.1: Ie,eff = 95 Ppl / (Ppl + 25.1)', () => {
    const g711 = codecImpairment('PCMA');
    expect(g711).toEqual({ ie: 0, bpl: 25.1 });
    expect(effectiveEquipmentImpairment(g711, 1)).toBeCloseTo(95 / 26.1, 6);
    expect(effectiveEquipmentImpairment(g711, 5)).toBeCloseTo(15.78, 2);
    expect(effectiveEquipmentImpairment(g711, 100)).toBeCloseTo(95 * 100 / 125.1, 6);
    // 5 % loss takes a G.711 call from "satisfied" to "some users dissatisfied".
    const r = rFactor({ codec: g711, oneWayDelayMs: 60, lossPercent: 5 });
    expect(qualityBand(r)).toBe('fair');
    expect(mosFromR(r)).toBeGreaterThan(3.7);
    expect(mosFromR(r)).toBeLessThan(4.0);
  });

  it('charges delay 0.024 per ms, and 0.11 more per ms beyond 177.3 ms', () => {
    expect(delayImpairment(150)).toBeCloseTo(3.6, 6);
    expect(delayImpairment(300)).toBeCloseTo(7.2 + 0.11 * 122.7, 6);
    expect(qualityBand(rFactor({ codec: codecImpairment('opus'), oneWayDelayMs: 350, lossPercent: 0 }))).toBe('poor');
  });

  it('scores a call by its worse direction: the peer\'s report of loss of our stream counts', () => {
    const stats = {
      codec: 'PCMU', frames: 500, skippedFrames: 0, speechFrames: 0, bargeIns: 0, echoFrames: 0, botSamplesPlayed: 0, botSamplesDropped: 0,
      packetsReceived: 500, packetsSent: 500,
      jitter: { currentDelayMs: 40, targetDelayMs: 40, late: 0, lost: 0, concealed: 0, discarded: 0, duplicates: 0, reordered: 0, fecRecovered: 0, resyncs: 0 },
      rtcp: { sent: 2, received: 2, malformed: 0, rttSamples: 2, rttLastMs: 40, rttMeanMs: 40, rttMaxMs: 40, remote: { fractionLost: 0.1, cumulativeLost: 50, jitterMs: 5 }, local: { expected: 500, lost: 0, jitterMs: 1 } },
    } as NativeSessionStats;
    const quality = callQuality(stats)!;
    expect(quality.inbound.lossPercent).toBe(0);
    expect(quality.inbound.oneWayDelayMs).toBe(20 + 40 + 20);
    expect(quality.outbound!.lossPercent).toBe(10);
    expect(quality.mos).toBe(quality.outbound!.mos);
    expect(quality.rttMs).toBe(40);
    expect(quality.mos).toBeLessThan(quality.inbound.mos);
  });
});
