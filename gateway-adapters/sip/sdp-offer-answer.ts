// RFC 3264 offer/answer for one audio stream: pick the first offered audio m-line and codec that
// Parley speaks, keep the offerer's payload types (section 6.1), reject every other m-line with
// port 0 (section 6), mirror the direction, and answer SDES crypto (RFC 4568) per policy.
// sdp-transform does the SDP grammar (RFC 4566).
import { isIPv4 } from 'node:net';
import sdpTransform from 'sdp-transform';
import type { MediaDescription, SessionDescription } from 'sdp-transform';
import { z } from 'zod';
import { SipRejection } from './errors.js';
import { newSdesKey, pickSdesOffer, sdesInline, type SdesSuite } from './sdes-crypto.js';
import { FRAME_MS } from '../../engine/media/frame.js';
import type { NetworkCodec } from '../../engine/call/call-media.js';
import { opusAnswerFmtp } from '../../engine/media/opus-fmtp.js';

// Names as in native/codec/codec_table.cc, so the session takes them as they are.
export const sipCodecs = ['opus', 'G722', 'PCMU', 'PCMA', 'L16/16000', 'L16/8000'] as const;
export type SipCodec = (typeof sipCodecs)[number];
export type SrtpPolicy = 'off' | 'optional' | 'mandatory';

export interface SdpPolicy {
  // Codecs Parley accepts; the offer's order decides among them.
  codecs: readonly SipCodec[];
  srtp: SrtpPolicy;
  // RFC 7587 section 6.1: usedtx=1 in the answer's Opus fmtp asks the peer to send its silence as
  // DTX (senders such as libwebrtc and baresip follow the receiver's usedtx). Parley receives DTX
  // as silence, neither loss nor concealment.
  opusDtx?: boolean;
  // The PCM rate the node's Opus legs code at (engine/media/opus-fmtp.ts): the answer's Opus fmtp
  // asks the caller for no wider a band. Unset: 48 kHz, nothing asked.
  opusCodingRateHz?: number;
}

export type MediaDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

export interface NegotiatedAudio {
  codec: SipCodec;
  payloadType: number;
  telephoneEventPayloadType?: number;
  // RFC 4733 section 2.1: the event format's own clock, which may differ from the codec's.
  telephoneEventClockHz?: number;
  // RFC 3389 comfort noise at the codec's RTP clock (CN/8000 beside G.711 and G.722, CN/16000
  // beside L16/16000): Parley sends its silence as CN and regenerates the caller's.
  comfortNoisePayloadType?: number;
  // Opus only: the answer asks for DTX (SdpPolicy.opusDtx).
  opusDtx?: boolean;
  // Opus only: SdpPolicy.opusCodingRateHz.
  opusCodingRateHz?: number;
  // The answer's direction, from Parley's side (RFC 3264 section 6.1).
  direction: MediaDirection;
  // Milliseconds of audio per packet Parley sends, advertised as the answer's a=ptime.
  packetMs: number;
  remoteHost: string;
  remotePort: number;
  // RTCP on the RTP port (the offer's a=rtcp-mux, RFC 5761 section 5.1.1), else on the offer's
  // a=rtcp port (RFC 3605) or the RTP port + 1 (RFC 3550 section 11).
  rtcpMux: boolean;
  rtcpPort?: number;
  srtp?: { suite: SdesSuite; tag: number; remoteKey: Uint8Array<ArrayBuffer>; localKey: Uint8Array<ArrayBuffer> };
}

export interface Negotiation {
  offer: SessionDescription;
  audioIndex: number;
  audio: NegotiatedAudio;
}

// Each codec's rtpmap (RFC 3551 section 6 for the static ones: G.722's RTP clock is 8000 though
// it samples at 16 kHz, section 4.5.2) and the media engine's name for it. L16 goes in 20 ms
// packets only: 640 bytes at 16 kHz, where 60 ms would pass Ethernet's MTU.
interface SipCodecInfo {
  name: string;
  rate: number;
  channels?: number;
  staticPt?: number;
  network: NetworkCodec;
  fixedPacketMs?: number;
}

const codecClock: Record<SipCodec, SipCodecInfo> = {
  opus: { name: 'opus', rate: 48000, channels: 2, network: 'opus' },
  G722: { name: 'G722', rate: 8000, staticPt: 9, network: 'G722' },
  PCMU: { name: 'PCMU', rate: 8000, staticPt: 0, network: 'PCMU' },
  PCMA: { name: 'PCMA', rate: 8000, staticPt: 8, network: 'PCMA' },
  'L16/16000': { name: 'L16', rate: 16000, network: 'L16', fixedPacketMs: FRAME_MS },
  'L16/8000': { name: 'L16', rate: 8000, network: 'L16', fixedPacketMs: FRAME_MS },
};

// The media engine's codec family (what a re-INVITE's codec switch names).
export function networkCodecOf(codec: SipCodec): NetworkCodec {
  return codecClock[codec].network;
}

const HOLD_ADDRESS = '0.0.0.0';

const rtpProfiles = new Set(['RTP/AVP', 'RTP/SAVP']);

// RTP's payload type is 7 bits (RFC 3550 section 5.1): a format outside 0-127 can never be sent,
// so it is ignored like any other format Parley cannot use (488 if nothing usable is left).
const MAX_PAYLOAD_TYPE = 127;

function offeredFormats(media: MediaDescription): number[] {
  return String(media.payloads ?? '')
    .split(' ')
    .filter((pt) => /^\d{1,3}$/.test(pt))
    .map(Number)
    .filter((pt) => pt <= MAX_PAYLOAD_TYPE);
}

function rtpmapOf(media: MediaDescription, payloadType: number): { codec: string; rate?: number; encoding?: number | string } | undefined {
  const mapped = media.rtp.find((entry) => entry.payload === payloadType);
  if (mapped) return mapped;
  // RFC 3551 static payload types need no rtpmap.
  const known = Object.values(codecClock).find((info) => info.staticPt === payloadType);
  if (known) return { codec: known.name, rate: known.rate };
  if (payloadType === COMFORT_NOISE_STATIC_PT) return { codec: 'CN', rate: COMFORT_NOISE_STATIC_CLOCK_HZ };
  return undefined;
}

function chooseCodec(media: MediaDescription, policy: SdpPolicy): { codec: SipCodec; payloadType: number } | undefined {
  for (const payloadType of offeredFormats(media)) {
    const map = rtpmapOf(media, payloadType);
    if (!map) continue;
    const codec = policy.codecs.find((name) => {
      const info = codecClock[name];
      // Opus is always /2 in SDP (RFC 7587 section 7); the others are mono here.
      const mono = info.channels !== undefined || map.encoding === undefined || Number(map.encoding) === 1;
      return info.name.toLowerCase() === map.codec.toLowerCase() && info.rate === map.rate && mono;
    });
    if (codec) return { codec, payloadType };
  }
  return undefined;
}

// RFC 3264 section 6.1: the answer mirrors the offer's direction.
const answerDirection: Record<string, MediaDirection> = {
  sendonly: 'recvonly',
  recvonly: 'sendonly',
  inactive: 'inactive',
  sendrecv: 'sendrecv',
};

// Phones and PBXs offer telephone-event/8000 beside opus/48000 (and browsers /48000): take the
// format at the audio clock if there is one, else the 8 kHz one (RFC 4733 section 7.1.1's
// registration), else none. Telephone-event clocks are those of the codecs Parley runs.
const TELEPHONE_EVENT_CLOCKS_HZ = [8000, 16000, 48000];

function chooseTelephoneEvent(media: MediaDescription, audioClockHz: number): { payloadType: number; rate: number } | undefined {
  const offered = offeredFormats(media)
    .map((payloadType) => ({ payloadType, map: rtpmapOf(media, payloadType) }))
    .filter(({ map }) => map?.codec.toLowerCase() === 'telephone-event' && TELEPHONE_EVENT_CLOCKS_HZ.includes(map.rate ?? 0))
    .map(({ payloadType, map }) => ({ payloadType, rate: map!.rate! }));
  return offered.find((event) => event.rate === audioClockHz) ?? offered.find((event) => event.rate === 8000);
}

// RFC 3389 CN is answered at the audio codec's RTP clock, as WebRTC pairs them (a CN rtpmap whose
// clock is the send codec's): CN/8000 beside G.711 and beside G.722, whose RTP clock is 8000
// (RFC 3551 section 4.5.2) though its noise is generated at 16 kHz; CN/16000 beside L16/16000.
// CN's timestamps then step with the audio's. An Opus peer signals its silence with DTX inside
// Opus (RFC 7587 section 3.1.3), which Parley receives as such: no CN beside Opus.
// RFC 3551 section 6: CN's static payload type, at 8000 Hz, which needs no rtpmap.
const COMFORT_NOISE_STATIC_PT = 13;
const COMFORT_NOISE_STATIC_CLOCK_HZ = 8000;

function chooseComfortNoise(media: MediaDescription, codec: SipCodec): number | undefined {
  if (codec === 'opus') return undefined;
  return offeredFormats(media).find((payloadType) => {
    const map = rtpmapOf(media, payloadType);
    return map?.codec.toLowerCase() === 'cn' && map.rate === codecClock[codec].rate;
  });
}

const MIN_PACKET_MS = 10;
const MAX_PACKET_MS = 60;

// Opus packet durations Parley sends (RFC 6716 section 2.1.4's frame sizes that its 20 ms frame
// clock cuts or gathers whole; RFC 7587 section 4.2 puts one Opus packet in each RTP packet).
const OPUS_PACKET_MS = [10, 20, 40, 60];

// RFC 4566 section 6: a=ptime is the offerer's preference for what it receives, a=maxptime its
// limit. G.711 cuts at any sample, so Parley sends the preference (10-60 ms in steps of 10,
// within maxptime); Opus the longest of its sizes not above it.
function choosePacketMs(media: MediaDescription, codec: SipCodec): number {
  const fixed = codecClock[codec].fixedPacketMs;
  if (fixed !== undefined) return fixed;
  const steps = (ms: number): number => Math.min(MAX_PACKET_MS, Math.max(MIN_PACKET_MS, Math.floor(ms / MIN_PACKET_MS) * MIN_PACKET_MS));
  const preferred = media.ptime !== undefined && media.ptime > 0 ? steps(media.ptime) : FRAME_MS;
  const packetMs = media.maxptime !== undefined && media.maxptime > 0 ? Math.min(preferred, steps(media.maxptime)) : preferred;
  return codec === 'opus' ? OPUS_PACKET_MS.filter((ms) => ms <= packetMs).at(-1)! : packetMs;
}

// sdp-transform's grammar is lenient and its types are promises, not checks: a line such as
// `a=rtpmap:111 111 opus` comes back with a number where a string is typed. Every field read
// below is checked here, once, so the negotiation code can trust its types (400 otherwise).
const connectionShape = z.object({ ip: z.string() }).optional();
const offerShape = z.object({
  origin: z.object({}).loose(),
  connection: connectionShape,
  media: z
    .array(
      z
        .object({
          type: z.string(),
          port: z.number().int().min(0).max(65535),
          protocol: z.string().min(1),
          payloads: z.union([z.string(), z.number()]).optional(),
          connection: connectionShape,
          rtp: z.array(z.object({ payload: z.number().int(), codec: z.string(), rate: z.number().optional(), encoding: z.union([z.number(), z.string()]).optional() }).loose()),
          crypto: z.array(z.object({ id: z.number().int(), suite: z.string(), config: z.string().optional() }).loose()).optional(),
          direction: z.string().optional(),
          ptime: z.number().optional(),
          maxptime: z.number().optional(),
          rtcp: z.object({ port: z.number().int().min(1).max(65535), address: z.string().optional() }).loose().optional(),
          rtcpMux: z.string().optional(),
        })
        .loose(),
    )
    .min(1),
}).loose();

function parseOffer(sdp: string): SessionDescription {
  if (!/^v=0\r?\n/.test(sdp)) throw new SipRejection(400, 'Malformed SDP');
  let offer: SessionDescription;
  try {
    offer = sdpTransform.parse(sdp);
  } catch {
    throw new SipRejection(400, 'Malformed SDP');
  }
  if (!offerShape.safeParse(offer).success) throw new SipRejection(400, 'Malformed SDP');
  return offer;
}

// Throws SipRejection: 400 for SDP that does not parse, 488 for an offer without any acceptable
// audio stream, codec or keying.
export function negotiate(offerSdp: string, policy: SdpPolicy): Negotiation {
  const offer = parseOffer(offerSdp);
  let refusal = 'No acceptable audio stream';
  for (let index = 0; index < offer.media.length; index++) {
    const media = offer.media[index]!;
    if (media.type !== 'audio' || media.port === 0 || !rtpProfiles.has(media.protocol)) continue;
    const address = media.connection?.ip ?? offer.connection?.ip;
    if (!address || !isIPv4(address)) throw new SipRejection(400, 'Malformed SDP');
    const chosen = chooseCodec(media, policy);
    if (!chosen) {
      refusal = 'No common codec';
      continue;
    }
    const sdes = media.crypto ? pickSdesOffer(media.crypto) : undefined;
    const secure = media.protocol === 'RTP/SAVP';
    // RTP/SAVP requires keys; Janus's `sdes_optional` offers them under RTP/AVP and then encrypts
    // whatever the answer says, so offered keys are always taken unless SRTP is off.
    if ((secure || policy.srtp === 'mandatory') && (!sdes || policy.srtp === 'off')) {
      refusal = 'No acceptable SRTP keying';
      continue;
    }
    const useSrtp = sdes !== undefined && policy.srtp !== 'off';
    const telephoneEvent = chooseTelephoneEvent(media, codecClock[chosen.codec].rate);
    return {
      offer,
      audioIndex: index,
      audio: {
        codec: chosen.codec,
        payloadType: chosen.payloadType,
        telephoneEventPayloadType: telephoneEvent?.payloadType,
        telephoneEventClockHz: telephoneEvent?.rate,
        comfortNoisePayloadType: chooseComfortNoise(media, chosen.codec),
        opusDtx: chosen.codec === 'opus' && policy.opusDtx === true ? true : undefined,
        opusCodingRateHz: chosen.codec === 'opus' ? policy.opusCodingRateHz : undefined,
        // RFC 3264 section 8.4: c=0.0.0.0 is the pre-3264 way to put a call on hold.
        packetMs: choosePacketMs(media, chosen.codec),
        direction: address === HOLD_ADDRESS ? 'inactive' : (answerDirection[media.direction ?? 'sendrecv'] ?? 'sendrecv'),
        remoteHost: address,
        remotePort: media.port,
        rtcpMux: media.rtcpMux !== undefined,
        // An a=rtcp naming another host is not followed: RTCP is read from the media's host only.
        rtcpPort: media.rtcp && (media.rtcp.address === undefined || media.rtcp.address === address) ? media.rtcp.port : undefined,
        srtp: useSrtp ? { suite: sdes.suite, tag: sdes.tag, remoteKey: sdes.key, localKey: newSdesKey() } : undefined,
      },
    };
  }
  throw new SipRejection(488, refusal);
}


// Codecs a running session switches between (one clock, one frame size: RtpLeg::SwitchCodec).
const SWITCHABLE = new Set<SipCodec>(['PCMU', 'PCMA']);

// RFC 3264 section 8: a new offer inside the dialog (hold, resume, a new address or port, new
// SDES keys from the peer, SRTP on, off or to another suite, another codec). A telephone-event
// change without a codec change is refused with 488, and section 8's rule that a refused
// re-offer leaves the session as it was keeps the call going. With the suite unchanged Parley keeps its
// own key (RFC 4568 section 7.1.4 lets the answerer keep it) so only the inbound direction is
// re-keyed.
export function renegotiate(offerSdp: string, policy: SdpPolicy, current: NegotiatedAudio): Negotiation {
  const next = negotiateKeeping(offerSdp, policy, current.codec);
  const { audio } = next;
  // Opus <-> G.711 (or a new Opus payload type) gets a new media leg (needsNewLeg), which takes
  // the offer's telephone-event and packetization with it; a switch in place keeps them.
  const rebuilt = needsNewLeg(current, audio);
  if (!rebuilt && (audio.telephoneEventPayloadType !== current.telephoneEventPayloadType || audio.telephoneEventClockHz !== current.telephoneEventClockHz)) {
    throw new SipRejection(488, 'Not Acceptable Here: telephone-event cannot change within the call');
  }
  if (!rebuilt && audio.comfortNoisePayloadType !== current.comfortNoisePayloadType) {
    throw new SipRejection(488, 'Not Acceptable Here: comfort noise cannot change within the call');
  }
  // SRTP turned on, off or to another suite: fresh contexts both ways, so a fresh key of ours too
  // (negotiate() made one); the same suite keeps ours.
  if (audio.srtp && current.srtp && audio.srtp.suite === current.srtp.suite) audio.srtp = { ...audio.srtp, localKey: current.srtp.localKey };
  // The RTCP transport is the call's; the packetization the leg's: the answer says what is sent.
  return { ...next, audio: { ...audio, packetMs: rebuilt ? audio.packetMs : current.packetMs, rtcpMux: current.rtcpMux, rtcpPort: current.rtcpPort } };
}

// Whether a re-negotiated codec needs a new media leg: one the running leg cannot switch to in
// place (RtpLeg::SwitchCodec: G.711 mu-law <-> A-law and payload type changes only).
export function needsNewLeg(current: NegotiatedAudio, next: NegotiatedAudio): boolean {
  const changed = next.codec !== current.codec || next.payloadType !== current.payloadType;
  return changed && !(SWITCHABLE.has(next.codec) && SWITCHABLE.has(current.codec));
}

// The call's codec while the re-offer still has it; else the offer's first other one Parley speaks.
function negotiateKeeping(offerSdp: string, policy: SdpPolicy, codec: SipCodec): Negotiation {
  try {
    return negotiate(offerSdp, { ...policy, codecs: [codec] });
  } catch (error) {
    const others = policy.codecs.filter((other) => other !== codec);
    if (!(error instanceof SipRejection) || error.status !== 488 || others.length === 0) throw error;
    return negotiate(offerSdp, { ...policy, codecs: others });
  }
}

// Whether Parley sends media under this answer direction.
export function sendsMedia(direction: MediaDirection): boolean {
  return direction === 'sendrecv' || direction === 'sendonly';
}

export interface LocalMedia {
  host: string;
  port: number;
  sessionId: number;
  sessionVersion: number;
}

export function buildAnswer(negotiation: Negotiation, local: LocalMedia): string {
  const { offer, audioIndex, audio } = negotiation;
  const clock = codecClock[audio.codec];
  const media: MediaDescription[] = offer.media.map((offered, index) => {
    if (index !== audioIndex) {
      return { type: offered.type, port: 0, protocol: offered.protocol, payloads: String(offered.payloads ?? '0').split(' ')[0], rtp: [], fmtp: [] };
    }
    const payloads = [audio.payloadType, audio.telephoneEventPayloadType, audio.comfortNoisePayloadType].filter((pt) => pt !== undefined);
    const answer: MediaDescription = {
      type: 'audio',
      port: local.port,
      protocol: offered.protocol,
      payloads: payloads.join(' '),
      rtp: [{ payload: audio.payloadType, codec: clock.name, rate: clock.rate, ...(clock.channels ? { encoding: clock.channels } : {}) }],
      fmtp: audio.codec === 'opus' ? [{ payload: audio.payloadType, config: opusAnswerFmtp({ codingRateHz: audio.opusCodingRateHz, dtx: audio.opusDtx }) }] : [],
      ptime: audio.packetMs,
      direction: audio.direction,
    };
    if (audio.telephoneEventPayloadType !== undefined) {
      answer.rtp.push({ payload: audio.telephoneEventPayloadType, codec: 'telephone-event', rate: audio.telephoneEventClockHz ?? clock.rate });
      answer.fmtp.push({ payload: audio.telephoneEventPayloadType, config: '0-16' });
    }
    if (audio.comfortNoisePayloadType !== undefined) answer.rtp.push({ payload: audio.comfortNoisePayloadType, codec: 'CN', rate: clock.rate });
    if (audio.rtcpMux) answer.rtcpMux = 'rtcp-mux';
    if (audio.srtp) answer.crypto = [{ id: audio.srtp.tag, suite: audio.srtp.suite, config: sdesInline(audio.srtp.localKey) }];
    return answer;
  });
  return sdpTransform.write({
    version: 0,
    origin: { username: 'parley', sessionId: local.sessionId, sessionVersion: local.sessionVersion, netType: 'IN', ipVer: 4, address: local.host },
    name: 'parley',
    connection: { version: 4, ip: local.host },
    timing: { start: 0, stop: 0 },
    media,
  });
}
