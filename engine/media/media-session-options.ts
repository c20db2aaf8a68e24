// Schema of the options a media session is created with. Adapters build these from SDP, ARI or
// config; the schema is the edge check before anything reaches native code.
import { z } from 'zod';

export const botRates = [8000, 16000, 24000, 48000] as const;
export type BotRateHz = (typeof botRates)[number];
export const DEFAULT_BOT_RATE_HZ: BotRateHz = 16000;

export const sessionOptionsSchema = z.object({
  botRateHz: z.union(botRates.map((rate) => z.literal(rate))).default(DEFAULT_BOT_RATE_HZ),
  playoutMaxMs: z.number().int().min(1000).max(600_000).default(120_000),
  vadAggressiveness: z.number().int().min(0).max(3).default(2),
  vadHangoverMs: z.number().int().min(0).max(2000).default(160),
  bargeIn: z.boolean().default(true),
  bargeInMinSpeechMs: z.number().int().min(20).max(2000).default(120),
  // Caller speech that matches the bot's recent output (its echo) does not interrupt it.
  bargeInEchoGuard: z.boolean().default(true),
  // Echo cancellation with the sent audio as reference (docs/echo-cancellation.md). Unset: on for
  // telephone legs (G.711, G.722, L16, PCM from Asterisk) where the speech rate is 8 or 16 kHz,
  // off for Opus (a browser or softphone cancels its own echo).
  echoCancellation: z.boolean().optional(),
  // Longest echo delay followed, counted from the moment audio leaves the node: the network both
  // ways, the phone, and the jitter buffer.
  echoMaxDelayMs: z.number().int().min(0).max(500).default(300),
  // Echo response modelled after that delay.
  echoTailMs: z.number().int().min(10).max(250).default(120),
});

// What one call may choose for its own media, over the node's configuration: a browser call in
// its grant request (api/grants/grant-request.ts). Strict: a misspelt option is refused, not
// silently ignored.
export const callMediaOptionsSchema = sessionOptionsSchema.pick({ echoCancellation: true }).strict();
export type CallMediaOptions = z.infer<typeof callMediaOptionsSchema>;

// `options` over `base`, leaving out what the call did not choose (an unset key keeps the base's).
export function withCallMediaOptions<T extends SessionOptions>(base: T, options: CallMediaOptions): T {
  return options.echoCancellation === undefined ? base : { ...base, echoCancellation: options.echoCancellation };
}

export const networkCodecs = ['PCMU', 'PCMA', 'G722', 'opus', 'L16'] as const;

const srtpKey = z.instanceof(Uint8Array).refine((key) => key.length === 30, 'SRTP key+salt is 30 bytes');

export const rtpSessionOptionsSchema = sessionOptionsSchema.extend({
  // Codec names as in native/codec/codec_table.cc (L16 names carry their rate: L16/8000 ...).
  codec: z.string().default('PCMU'),
  payloadType: z.number().int().min(0).max(127).optional(),
  telephoneEventPayloadType: z.number().int().min(0).max(127).optional(),
  // RFC 4733 section 2.1: the telephone-event format's own clock when it differs from the codec's.
  telephoneEventClockHz: z.number().int().min(8000).max(48000).optional(),
  // RFC 3389 comfort noise negotiated (at the codec's RTP clock; not Opus): the bot's silence is sent as CN.
  comfortNoisePayloadType: z.number().int().min(0).max(127).optional(),
  // Audio per packet sent (the SDP answer's ptime): 10-60 for G.711 and G.722, 10/20/40/60 for
  // Opus, 20 for L16.
  packetMs: z.number().int().min(10).max(60).multipleOf(10).optional(),
  transport: z.enum(['udp', 'external']).default('udp'),
  localHost: z.string().default('127.0.0.1'),
  localPort: z.number().int().min(0).max(65535).default(0),
  // The operator's RTP port range (PARLEY_RTP_PORT_MIN/MAX) for localPort 0; unset: any free port.
  localPortMin: z.number().int().min(1).max(65535).optional(),
  localPortMax: z.number().int().min(1).max(65535).optional(),
  // The remote address the signalling named (SDP c=/m=; Asterisk's UNICASTRTP_LOCAL_ADDRESS/PORT,
  // or later through setRemote): where to send, and the source the leg latches to first
  // (native/media/source_latch.h, after rtpengine's endpoint learning).
  remoteHost: z.string().optional(),
  remotePort: z.number().int().min(1).max(65535).optional(),
  learnRemote: z.boolean().optional(),
  // Only the signalled address is ever taken, and nothing before it is known (rtpengine's
  // strict-source); otherwise a learning window and NAT re-latching apply.
  strictSource: z.boolean().default(false),
  // With a signalled address: how long other sources wait for it; without: how long a sustained
  // stream may take over from the first packet's source.
  sourceLearningMs: z.number().int().min(0).max(10_000).default(1000),
  // NAT rebinding: a new address with the latched SSRC takes over after the latched one has been
  // silent this long and the new one sent relatchPackets consecutive valid packets.
  relatchSilenceMs: z.number().int().min(20).max(60_000).default(1000),
  relatchPackets: z.number().int().min(1).max(1000).default(10),
  sendSilence: z.boolean().default(true),
  // RTCP sender/receiver reports (RFC 3550 section 6): on the RTP port when a=rtcp-mux was
  // negotiated (RFC 5761), on the port after it ('pair'), or none ('off': a peer without RTCP,
  // or a transport such as werift that runs its own). rtcpRemotePort: the peer's a=rtcp port.
  rtcp: z.enum(['off', 'mux', 'pair']).default('off'),
  rtcpRemotePort: z.number().int().min(1).max(65535).optional(),
  jitterMinDelayMs: z.number().int().min(0).max(1000).default(20),
  jitterMaxDelayMs: z.number().int().min(20).max(2000).default(400),
  // Move the jitter delay by time-stretching speech (accelerate / preemptive expand); false keeps
  // the previous whole-frame drops and inserts (the jitter bench's reference).
  jitterTimeStretch: z.boolean().default(true),
  opusBitrateBps: z.number().int().min(6000).max(510_000).default(32_000),
  opusComplexity: z.number().int().min(0).max(10).default(5),
  opusFec: z.boolean().default(true),
  srtp: z
    .object({
      profile: z.enum(['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32']),
      localKey: srtpKey,
      remoteKey: srtpKey,
    })
    .optional(),
});

// With the cross-field rules the native side checks too (native/addon/session_options.cc). Kept
// apart from the field schema, which config picks keys from (zod refuses pick on refined objects).
export const checkedRtpSessionOptionsSchema = rtpSessionOptionsSchema
  .refine((options) => options.jitterMinDelayMs <= options.jitterMaxDelayMs, { message: 'jitterMinDelayMs must not exceed jitterMaxDelayMs' })
  .refine((options) => (options.remoteHost === undefined) === (options.remotePort === undefined), {
    message: 'remoteHost and remotePort go together',
  })
  .refine((options) => (options.localPortMin === undefined) === (options.localPortMax === undefined) && (options.localPortMin ?? 0) <= (options.localPortMax ?? 0), {
    message: 'localPortMin and localPortMax form a range together',
  });

export const pcmSessionOptionsSchema = sessionOptionsSchema.extend({
  legRateHz: z.union(botRates.map((rate) => z.literal(rate))).default(16000),
});

export type SessionOptions = z.input<typeof sessionOptionsSchema>;
export type RtpSessionOptions = z.input<typeof rtpSessionOptionsSchema>;
export type PcmSessionOptions = z.input<typeof pcmSessionOptionsSchema>;
