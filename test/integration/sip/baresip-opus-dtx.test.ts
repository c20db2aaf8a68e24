// Opus DTX on receive (RFC 7587 section 3.1.3), from a real phone: baresip (Debian's package)
// calls the SIP endpoint with Opus, which answers usedtx=1 (sip.opusDtx; baresip's libopus encoder
// takes DTX from the receiver's fmtp), and speaks a tone, two seconds of digital silence, and the
// tone again. In the pause libopus codes DTX frames (1-2 bytes; baresip 1.0 sends every one,
// where libwebrtc sends one per 400 ms: the gaps are test/unit/engine/jitter-stretch.test.ts's and
// sip-comfort-noise.test.ts's): the buffer must take them as silence, neither loss nor
// concealment, keep its delay target, and play the second talkspurt whole.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BotStarter } from '../../../engine/call/call.js';
import { CallRegistry } from '../../../engine/call/call-registry.js';
import { CallService } from '../../../engine/call/call-service.js';
import { MediaEngine } from '../../../engine/media/media-engine.js';
import type { MediaSession } from '../../../engine/media/media-session.js';
import { SipEndpoint } from '../../../gateway-adapters/sip/sip-endpoint.js';
import { Baresip } from '../../support/baresip.js';
import { LATE_FRAMES_UNDER_LOAD, TARGET_DELAY_UNDER_LOAD_MS } from '../../support/silence-suppression.js';
import { rmsDbfs } from '../../support/signal-metrics.js';

const FRAME_MS = 20;
const TONE_S = 1.5;
const PAUSE_S = 2;
const LOUD_DBFS = -30;

describe('Opus DTX from baresip on a direct SIP call', () => {
  let engine: MediaEngine;
  let dir: string;
  const logger = pino({ level: 'silent' });

  beforeAll(() => {
    engine = new MediaEngine({ logger });
    dir = mkdtempSync(join(tmpdir(), 'parley-dtx-'));
    // baresip 1.0 neither resamples nor remixes: aufile must be Opus's 48 kHz stereo. Silence while
    // the call's media latches (the node takes the phone's RTP after its 1 s source-learning
    // window), tone, digital silence, tone, then silence until the test hangs up.
    const part = (name: string, ...effect: string[]): string => {
      const path = join(dir, `${name}.wav`);
      execFileSync('sox', ['-n', '-r', '48000', '-c', '2', '-b', '16', path, ...effect]);
      return path;
    };
    const tone = part('tone', 'synth', String(TONE_S), 'sine', '300', 'vol', '0.2');
    const pause = part('pause', 'trim', '0', String(PAUSE_S));
    const tail = part('tail', 'trim', '0', '10');
    execFileSync('sox', [pause, tone, pause, tone, tail, join(dir, 'speak.wav')]);
  });
  afterAll(() => {
    engine.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('takes the DTX pause as silence: no loss, no concealment, the delay target kept, both talkspurts heard', async () => {
    let session: MediaSession | undefined;
    // Per caller frame the bot got: its level, and the buffer's target delay then.
    const frames: Array<{ dbfs: number; targetMs: number }> = [];
    const bot: BotStarter = (media) => {
      session = media as MediaSession;
      media.on('audio', (pcm) => {
        const stats = session!.stats();
        frames.push({ dbfs: rmsDbfs(pcm), targetMs: stats.jitter?.targetDelayMs ?? 0 });
      });
      return { stop: () => {} };
    };
    const endpoint = await SipEndpoint.start({ port: 0, opusDtx: true }, { calls: new CallService({ engine, calls: new CallRegistry(), startBot: bot, maxCallMs: 60_000, logger }), logger, media: { host: '127.0.0.1', session: { bargeIn: false, echoCancellation: false } } });
    const phone = await Baresip.start({ dir: mkdtempSync(join(dir, 'phone-')), speakWav: join(dir, 'speak.wav'), account: 'audio_codecs=opus/48000/2', modules: ['opus.so'], config: ['opus_dtx yes'] });
    try {
      await phone.dial(`sip:bot@127.0.0.1:${endpoint.local.port}`);
      await phone.event('CALL_ESTABLISHED');
      // Both talkspurts and the pause between them, and a second after.
      const talkspurts = (): number => frames.filter((f, i) => f.dbfs > LOUD_DBFS && !(frames[i - 1]!?.dbfs > LOUD_DBFS)).length;
      await expect.poll(talkspurts, { timeout: 15_000 }).toBe(2);
      const secondStart = frames.length - 1;
      await expect.poll(() => frames.length - secondStart, { timeout: 15_000 }).toBeGreaterThan(((TONE_S + 1) * 1000) / FRAME_MS);
    } finally {
      await phone.stop();
      await endpoint.close();
    }
    const loud = frames.map((f) => f.dbfs > LOUD_DBFS);
    const firstStart = loud.indexOf(true);
    const firstEnd = loud.indexOf(false, firstStart);
    const secondStart = loud.indexOf(true, firstEnd);
    const secondEnd = loud.indexOf(false, secondStart);
    // Both talkspurts whole (a 2 s pause taken as loss would have eaten into the second's start
    // with concealment, or the buffer grown to hold it), the pause as long as sent.
    expect((firstEnd - firstStart) * FRAME_MS).toBeGreaterThanOrEqual(TONE_S * 1000 - 2 * FRAME_MS);
    expect((secondEnd - secondStart) * FRAME_MS).toBeGreaterThanOrEqual(TONE_S * 1000 - 2 * FRAME_MS);
    expect(Math.abs((secondStart - firstEnd) * FRAME_MS - PAUSE_S * 1000)).toBeLessThanOrEqual(3 * FRAME_MS);
    // DTX was on: most of the pause came as DTX packets, played as silence, not concealed.
    const jitter = session!.stats().jitter!;
    expect(jitter.comfortNoisePackets).toBeGreaterThan((0.7 * PAUSE_S * 1000) / FRAME_MS);
    expect(jitter.lost).toBeLessThanOrEqual(LATE_FRAMES_UNDER_LOAD);
    expect(jitter.expandMs).toBeLessThanOrEqual(LATE_FRAMES_UNDER_LOAD * FRAME_MS);
    // The pause did not read as a 2 s delay spike.
    expect(Math.max(...frames.slice(firstEnd, secondEnd).map((f) => f.targetMs))).toBeLessThan(TARGET_DELAY_UNDER_LOAD_MS);
  });
});
