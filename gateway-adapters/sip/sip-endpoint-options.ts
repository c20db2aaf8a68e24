// Configuration of the direct SIP endpoint, checked at the edge (config file, env, tests).
import { z } from 'zod';
import { sipCodecs } from './sdp-offer-answer.js';

export const sipEndpointOptionsSchema = z.object({
  // Where the UAS listens (UDP). Janus's SIP plugin is pointed at it.
  host: z.string().default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(5060),
  // The only user part that answers (sip:<botUser>@...): any other gets 404, so the endpoint is
  // never a path to anywhere else (no toll fraud).
  botUser: z.string().min(1).default('bot'),
  // Hosts accepted in the Request-URI besides the endpoint's own addresses; empty: any host.
  domains: z.array(z.string()).default([]),
  // Sources (IPv4 address or CIDR) allowed to send requests; everyone else gets 403.
  allowedSources: z.array(z.string()).default(['127.0.0.1/32']),
  srtp: z.enum(['off', 'optional', 'mandatory']).default('optional'),
  // The offer's order decides among them. L16 is off by default: phones don't offer it, and a
  // 16 kHz stream costs 256 kbit/s.
  codecs: z.array(z.enum(sipCodecs)).min(1).default(['opus', 'G722', 'PCMU', 'PCMA']),
  // Answer Opus with usedtx=1 (RFC 7587 section 6.1): the caller sends no audio in its pauses.
  // Off by default: a browser behind Janus would then send the bot DTX silence instead of its
  // background noise.
  opusDtx: z.boolean().default(false),
  maxCalls: z.number().int().min(1).default(50),
  // Ringing time before answering (180 Ringing first); 0 answers at once.
  ringMs: z.number().int().min(0).max(60_000).default(0),
  // RFC 3261 T1/T2 (section 17.1.1.1); only networks with long round trips change them.
  t1Ms: z.number().int().min(10).max(5000).default(500),
  t2Ms: z.number().int().min(40).max(30_000).default(4000),
  // SIP over TCP on the same host and port (RFC 3261 section 18: every UA speaks it).
  tcp: z.boolean().default(true),
  // SIP over TLS, only where a certificate is configured (PEM files).
  tls: z
    .object({ port: z.number().int().min(0).max(65535).default(5061), certFile: z.string().min(1), keyFile: z.string().min(1) })
    .optional(),
  // Stream transports' bounds: one message, connections per source address and in all, idle time.
  maxMessageBytes: z.number().int().min(1024).max(65536).default(65536),
  maxConnectionsPerSource: z.number().int().min(1).max(10_000).default(16),
  maxConnections: z.number().int().min(1).max(100_000).default(1024),
  connectionIdleMs: z.number().int().min(1000).max(3_600_000).default(120_000),
});

export type SipEndpointOptions = z.input<typeof sipEndpointOptionsSchema>;
export type SipEndpointSettings = z.infer<typeof sipEndpointOptionsSchema>;
