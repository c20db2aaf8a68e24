// The load bench's Opus ceiling must do an Opus call's codec work: decode what the callers send
// (issue 14: a ceiling that decoded its own 16 kHz packets, SILK-only wideband, was cheaper than a
// call decoding the callers' hybrid fullband ones).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OpusEncoder } from '../../../engine/native/opus.js';
import { opusBenchSpeech } from '../../../bench/codecs/raw-opus.js';
import { splitFrames } from '../../../bench/frames.js';
import { prepareCallerFrames, readFrames } from '../../../bench/load/caller-frames.js';
import { BOT_RATE_HZ, OPUS_COMPLEXITY } from '../../../bench/load/load-step.js';
import { opusCeilingWork } from '../../../bench/load/opus-ceiling.js';
import { parseOpusToc, tocCensus } from '../../support/opus-toc.js';

describe('the Opus ceiling of the load bench', () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-opus-ceiling-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const frames = prepareCallerFrames(dir, OPUS_COMPLEXITY);
  const callers = readFrames(frames.opus);
  const work = opusCeilingWork(frames, BOT_RATE_HZ);

  it('decodes packets of the same TOC mode, bandwidth and frame size as the callers send', () => {
    const ceiling = readFrames(work.packetsFile);
    expect(ceiling.length).toBe(callers.length);
    expect(tocCensus(ceiling)).toEqual(tocCensus(callers));
  });

  it('codes at the rate the node codes its Opus legs at', () => {
    expect(work.rateHz).toBe(BOT_RATE_HZ);
  });

  it('would differ from its own encoder: the callers send hybrid fullband, a 16 kHz encoder makes SILK-only wideband', () => {
    const hybridFullband = callers.filter((packet) => {
      const toc = parseOpusToc(packet);
      return toc.mode === 'hybrid' && toc.bandwidth === 'FB' && toc.frameMs === 20;
    });
    expect(hybridFullband.length / callers.length).toBeGreaterThan(0.9);
    const encoder = new OpusEncoder({ complexity: OPUS_COMPLEXITY, sampleRateHz: BOT_RATE_HZ });
    const own = splitFrames(opusBenchSpeech(BOT_RATE_HZ), BOT_RATE_HZ / 50).map((frame) => encoder.encode(frame));
    expect([...tocCensus(own).keys()]).toEqual(['silk WB 20 ms']);
  });
});

describe('parseOpusToc', () => {
  it('reads mode, bandwidth, frame size, stereo and frame count code (RFC 6716 Table 2)', () => {
    expect(parseOpusToc(Uint8Array.of((9 << 3) | 0))).toEqual({ mode: 'silk', bandwidth: 'WB', frameMs: 20, stereo: false, frameCountCode: 0 });
    expect(parseOpusToc(Uint8Array.of((15 << 3) | 0x04 | 3))).toEqual({ mode: 'hybrid', bandwidth: 'FB', frameMs: 20, stereo: true, frameCountCode: 3 });
    expect(parseOpusToc(Uint8Array.of((12 << 3) | 1))).toEqual({ mode: 'hybrid', bandwidth: 'SWB', frameMs: 10, stereo: false, frameCountCode: 1 });
    expect(parseOpusToc(Uint8Array.of(16 << 3))).toMatchObject({ mode: 'celt', bandwidth: 'NB', frameMs: 2.5 });
    expect(parseOpusToc(Uint8Array.of(31 << 3))).toMatchObject({ mode: 'celt', bandwidth: 'FB', frameMs: 20 });
    expect(parseOpusToc(Uint8Array.of(6 << 3))).toMatchObject({ mode: 'silk', bandwidth: 'MB', frameMs: 40 });
  });

  it('refuses an empty packet', () => {
    expect(() => parseOpusToc(new Uint8Array(0))).toThrow(/TOC/);
  });
});
