// A caller with silence suppression: talkspurts of 0.5-3 s and pauses of 0.3-2 s, the RTP clock
// running through the pauses and a marker on each talkspurt's first packet (RFC 3551 section
// 4.1). In each pause the sender sends either RFC 3389 comfort noise (a CN packet when the pause
// starts and a refresh every 400 ms, PT 13) or Opus DTX packets (1 byte, when the pause starts
// and every 400 ms, as libopus does); nothing else. Jitter on the path, first-in first-out.
import type { Trace } from '../../test/support/network-impairment.js';
import { seededRandom } from '../../test/support/seeded-random.js';
import type { SpeechTracePacket } from './speech-run.js';

export type SilenceKind = 'cn' | 'dtx';

const PTIME_MS = 20;
const REFRESH_MS = 400;
const BASE_DELAY_US = 30_000;
export const CN_PAYLOAD_TYPE = 13;
// RFC 3389 section 3: -60 dBov, one reflection coefficient (a gentle low-pass).
const CN_PAYLOAD = Uint8Array.of(60, 160);
// An Opus TOC byte alone: config 1 (SILK narrowband 20 ms), one frame of no data.
const DTX_PAYLOAD = Uint8Array.of(0x08);

export function silenceTrace(name: string, seed: number, kind: SilenceKind, durationS: number, jitterSigmaMs: number): Trace {
  const random = seededRandom(seed);
  const clockHz = kind === 'dtx' ? 48_000 : 8000;
  const tsPerMs = clockHz / 1000;
  const packets: SpeechTracePacket[] = [];
  let index = 0;
  let sendMs = 0;
  const push = (marker: boolean, silence: SpeechTracePacket['silence']): void => {
    packets.push({ index, seq: (4000 + index) & 0xffff, timestamp: (12_345 + Math.round(sendMs * tsPerMs)) >>> 0, sendUs: Math.round(sendMs * 1000), arrivalUs: 0, duplicate: false, marker, ...(silence ? { silence } : {}) });
    index++;
  };
  while (sendMs < durationS * 1000) {
    const frames = 25 + Math.floor(random() * 125);
    for (let frame = 0; frame < frames; frame++, sendMs += PTIME_MS) push(frame === 0, undefined);
    const pauseMs = 300 + Math.round(random() * 1700 / PTIME_MS) * PTIME_MS;
    for (let at = 0; at < pauseMs; at += REFRESH_MS) {
      push(false, kind === 'cn' ? { payloadType: CN_PAYLOAD_TYPE, payload: CN_PAYLOAD } : { payloadType: 111, payload: DTX_PAYLOAD });
      sendMs += Math.min(REFRESH_MS, pauseMs - at);
    }
  }
  let fifoUs = 0;
  for (const packet of packets) {
    const u = Math.max(random(), 1e-12);
    const jitterUs = Math.abs(Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random())) * jitterSigmaMs * 1000;
    fifoUs = Math.max(fifoUs, Math.round(packet.sendUs + BASE_DELAY_US + jitterUs));
    packet.arrivalUs = fifoUs;
  }
  return { name, frames: packets.length, baseDelayUs: BASE_DELAY_US, ptimeUs: PTIME_MS * 1000, packets, lost: 0 };
}
