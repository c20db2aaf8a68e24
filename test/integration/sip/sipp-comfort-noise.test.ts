// RFC 3389 comfort noise from an independent sender: SIPp (Debian's sip-tester) calls the SIP
// endpoint offering G.722 with CN/8000, as a desk phone does, and replays a capture of what such a
// phone sends with silence suppression: a talkspurt, a SID and a SID update through a pause,
// another talkspurt (marker bit, the clock having run on), a last SID. The bot must hear the
// pauses as noise at each SID's level, and neither the pauses nor the RTP clock's jump across them
// may count as loss or stretch the jitter buffer's delay.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BotStarter } from '../../../engine/call/call.js';
import { CallRegistry } from '../../../engine/call/call-registry.js';
import { CallService } from '../../../engine/call/call-service.js';
import { MediaEngine } from '../../../engine/media/media-engine.js';
import type { MediaSession } from '../../../engine/media/media-session.js';
import { pcmToL16 } from '../../../engine/native/l16.js';
import { Transcoder } from '../../../engine/native/transcoder.js';
import { SipEndpoint } from '../../../gateway-adapters/sip/sip-endpoint.js';
import { frames } from '../../support/frames.js';
import { rtpPcap, type CapturedRtp } from '../../support/rtp-pcap.js';
import { LATE_FRAMES_UNDER_LOAD, TARGET_DELAY_UNDER_LOAD_MS } from '../../support/silence-suppression.js';
import { rmsDbfs } from '../../support/signal-metrics.js';
import { sipp } from '../../support/sipp.js';

const G722_PT = 9;
const CN_PT = 13;
const FRAME_MS = 20;
const FRAME_TICKS = 160; // 20 ms at G.722's 8000 Hz RTP clock (RFC 3551 section 4.5.2)
const FRAME_SAMPLES = 320; // 20 ms at its 16 kHz sampling rate
const SSRC = 0x7e1e;
// The phone's silence: SIDs at -45 dBov through the first pause, -50 dBov after the last talkspurt.
const PAUSE_LEVEL = 45;
const END_LEVEL = 50;
const PAUSE_MS = 1200;
const SID_UPDATE_MS = 600;
const LEAD_MS = 1000;

function pcm16k(text: string, dir: string): Int16Array {
  const wav = join(dir, 'speech.wav');
  execFileSync('espeak-ng', ['-v', 'en-us', '-w', wav, text]);
  const raw = execFileSync('sox', [wav, '-r', '16000', '-c', '1', '-b', '16', '-e', 'signed-integer', '-t', 'raw', '-']);
  return new Int16Array(raw.buffer, raw.byteOffset, raw.length / 2);
}

// What a G.722 phone with silence suppression sends: talkspurt, SID, SID update, talkspurt, SID.
function phoneCapture(speech: Int16Array): CapturedRtp[] {
  const encoder = new Transcoder({ from: 'L16/16000', to: 'G722' });
  const payloads = frames(speech, FRAME_SAMPLES).filter((frame) => frame.length === FRAME_SAMPLES).map((frame) => encoder.transcode(pcmToL16(frame)));
  const packets: CapturedRtp[] = [];
  let seq = 0;
  let atUs = 0;
  let timestamp = 0;
  const add = (payloadType: number, payload: Uint8Array, marker = false): void => {
    packets.push({ atUs, header: { payloadType, sequenceNumber: seq++, timestamp, ssrc: SSRC, marker }, payload });
  };
  const talkspurt = (): void => {
    payloads.forEach((payload, i) => {
      add(G722_PT, payload, i === 0);
      atUs += FRAME_MS * 1000;
      timestamp += FRAME_TICKS;
    });
  };
  // Leading SID: the caller is silent for a second before the first talkspurt.
  add(CN_PT, Uint8Array.of(PAUSE_LEVEL));
  atUs += LEAD_MS * 1000;
  timestamp += LEAD_MS * 8;
  talkspurt();
  // RFC 3389 section 4: the SID right after the talkspurt's last packet, in sequence and time;
  // an update later in the pause; the RTP clock runs on through it.
  add(CN_PT, Uint8Array.of(PAUSE_LEVEL));
  atUs += SID_UPDATE_MS * 1000;
  timestamp += SID_UPDATE_MS * 8;
  add(CN_PT, Uint8Array.of(PAUSE_LEVEL));
  atUs += (PAUSE_MS - SID_UPDATE_MS) * 1000;
  timestamp += (PAUSE_MS - SID_UPDATE_MS) * 8;
  talkspurt();
  add(CN_PT, Uint8Array.of(END_LEVEL));
  return packets;
}

describe('RFC 3389 comfort noise from SIPp on a G.722 call', () => {
  let engine: MediaEngine;
  let endpoint: SipEndpoint;
  let dir: string;
  const calls = new CallRegistry();
  const heard: Int16Array[] = [];
  const targetDelayMs: number[] = [];
  let session: MediaSession | undefined;
  let ended = 0;
  const bot: BotStarter = (media) => {
    session = media as MediaSession;
    media.on('audio', (pcm) => {
      heard.push(pcm.slice());
      targetDelayMs.push(session!.stats().jitter?.targetDelayMs ?? 0);
    });
    return { stop: () => void ended++ };
  };

  beforeAll(async () => {
    engine = new MediaEngine();
    const logger = pino({ level: 'silent' });
    endpoint = await SipEndpoint.start({ port: 0 }, { calls: new CallService({ engine, calls, startBot: bot, maxCallMs: 60_000, logger }), logger, media: { host: '127.0.0.1', session: { bargeIn: false, echoCancellation: false } } });
    dir = mkdtempSync(join(tmpdir(), 'parley-sipp-cn-'));
  });
  afterAll(async () => {
    await endpoint.close();
    engine.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('hears each pause as noise at its SID\'s level, neither loss nor concealment, and no delay grown across the pauses', async () => {
    const speech = pcm16k('Hello bot, this phone suppresses its silence.', dir);
    const capture = phoneCapture(speech);
    const pcap = join(dir, 'phone.pcap');
    writeFileSync(pcap, rtpPcap(capture));
    const callMs = Math.ceil(capture.at(-1)!.atUs / 1000) + 1500;
    const scenario = join(dir, 'uac-g722-cn.xml');
    const fixture = readFileSync(fileURLToPath(new URL('../../fixtures/sipp/uac-g722-cn.xml', import.meta.url)), 'utf8');
    writeFileSync(scenario, fixture.replaceAll('@RTP_PCAP@', pcap).replaceAll('@CALL_MS@', String(callMs)));
    const { address, port } = endpoint.local;
    const result = await sipp([`${address}:${port}`, '-sf', scenario, '-s', 'bot']);
    expect(result.code, result.output).toBe(0);
    await expect.poll(() => ended).toBe(1);

    const jitter = session!.stats().jitter!;
    // All four SIDs played as CN, the pauses (over 100 frame slots) as noise and not concealment.
    expect(jitter.comfortNoisePackets).toBe(4);
    expect(jitter.comfortNoiseMs).toBeGreaterThan(LEAD_MS + PAUSE_MS);
    expect(jitter.lost).toBeLessThanOrEqual(LATE_FRAMES_UNDER_LOAD);
    expect(jitter.expandMs).toBeLessThanOrEqual(LATE_FRAMES_UNDER_LOAD * FRAME_MS);
    // What the bot heard, per frame.
    const levels = heard.map((frame) => rmsDbfs(frame));
    const talkspurtFrames = Math.floor(speech.length / FRAME_SAMPLES);
    // The middle of the pause between the talkspurts: first speech frame, past the talkspurt and
    // its tail, a second of pause.
    const firstSpeech = levels.findIndex((level) => level > -35);
    expect(firstSpeech).toBeGreaterThan(0);
    const secondSpeech = levels.findIndex((level, i) => i > firstSpeech + talkspurtFrames && level > -35);
    const pause = levels.slice(firstSpeech + talkspurtFrames + 5, secondSpeech - 2);
    expect(pause.length).toBeGreaterThan(40);
    for (const level of pause) expect(Math.abs(level + PAUSE_LEVEL)).toBeLessThan(2);
    // The lead-in before the first talkspurt was the leading SID's noise too.
    const leadIn = levels.slice(5, firstSpeech - 2);
    expect(leadIn.length).toBeGreaterThan(30);
    for (const level of leadIn) expect(Math.abs(level + PAUSE_LEVEL)).toBeLessThan(2);
    // The pause did not read as a 1.2 s delay spike.
    expect(Math.max(...targetDelayMs.slice(firstSpeech + talkspurtFrames, secondSpeech + talkspurtFrames))).toBeLessThan(TARGET_DELAY_UNDER_LOAD_MS);
  });
});
