// A call for bot connector tests: a real RTP session over UDP to an RtpPeer (the caller), with a
// bot connector attached, plus helpers to wait on and measure what the caller receives.
import alawmulaw from 'alawmulaw';
import { pino, type Logger } from 'pino';
import { botConfigSchema, type BotConfig } from '../../engine/bot/bot-config.js';
import { botConnectorStarter } from '../../engine/bot/bot-connector.js';
import type { BotConnection } from '../../engine/bot/bot-connection.js';
import type { CallInfo } from '../../engine/call/call.js';
import { MediaEngine } from '../../engine/media/media-engine.js';
import type { MediaSession } from '../../engine/media/media-session.js';
import type { RtpSessionOptions } from '../../engine/media/media-session-options.js';
import { RtpPeer } from './rtp-peer.js';
import { rmsDbfs } from './signal-metrics.js';

export const VOICED_DBFS = -40;

export interface BotCall {
  engine: MediaEngine;
  peer: RtpPeer;
  session: MediaSession;
  localPort: number;
  connection: BotConnection;
  ended: Promise<string>;
  close(): void;
}

export async function startBotCall(
  bot: Partial<BotConfig> & { url: string },
  session: RtpSessionOptions = {},
  info: Partial<CallInfo> = {},
  logger: Logger = pino({ level: 'silent' }),
): Promise<BotCall> {
  const engine = new MediaEngine();
  const peer = await RtpPeer.open();
  const callId = info.callId ?? `call-${Math.random().toString(36).slice(2, 10)}`;
  const { session: media, localPort } = engine.createRtpSession(callId, { codec: 'PCMU', remoteHost: '127.0.0.1', remotePort: peer.port, ...session });
  const ended = new Promise<string>((resolve) => media.once('ended', resolve));
  const options = { ...botConfigSchema.parse({ reconnectAttempts: 0, ...bot }), url: bot.url };
  const connection = botConnectorStarter(options, logger)(media, { callId, source: 'sip', ...info });
  return {
    engine,
    peer,
    session: media,
    localPort: localPort!,
    connection,
    ended,
    close() {
      connection.stop('test_over');
      engine.stop();
      peer.close();
    },
  };
}

// What the caller heard, µ-law decoded, one array per packet.
export function heardFrames(peer: RtpPeer, from = 0): Int16Array[] {
  return peer.received.slice(from).map((r) => alawmulaw.mulaw.decode(r.packet.payload));
}

export function isVoiced(frame: Int16Array): boolean {
  return rmsDbfs(frame) > VOICED_DBFS;
}

export function voicedCount(peer: RtpPeer, from = 0): number {
  return heardFrames(peer, from).filter(isVoiced).length;
}

// Waits, packet by packet, until `predicate` holds for what the caller has received.
export async function untilRtp(peer: RtpPeer, predicate: () => boolean): Promise<void> {
  while (!predicate()) await peer.waitFor(peer.received.length + 1);
}

export function tone(rateHz: number, ms: number, frequencyHz = 440, amplitude = 8000): Int16Array {
  const samples = new Int16Array((rateHz / 1000) * ms);
  for (let i = 0; i < samples.length; i++) samples[i] = Math.round(amplitude * Math.sin((2 * Math.PI * frequencyHz * i) / rateHz));
  return samples;
}

export function frames<T extends Int16Array | Uint8Array>(signal: T, size: number): T[] {
  const out: T[] = [];
  for (let i = 0; i + size <= signal.length; i += size) out.push(signal.subarray(i, i + size) as T);
  return out;
}

export function pcmBytes(pcm: Int16Array): Buffer {
  return Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);
}

// A logger whose JSON lines the test can read.
export function recordingLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, lines };
}
