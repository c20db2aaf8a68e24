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
import type { Counter } from 'prom-client';
import { RtpPeer } from './rtp-peer.js';
import { rmsDbfs } from './signal-metrics.js';
import { sine } from './test-signals.js';

export const VOICED_DBFS = -40;
// The test tone (amplitude 8000) is about -15 dBFS; the quiet probe (amplitude 1000) about -33.
export const LOUD_DBFS = -22;
export const PROBE_AMPLITUDE = 1000;

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
  return sine((rateHz / 1000) * ms, rateHz, frequencyHz, amplitude);
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

export function loudCount(peer: RtpPeer, from = 0): number {
  return heardFrames(peer, from).filter((frame) => rmsDbfs(frame) > LOUD_DBFS).length;
}

// Waits until the quiet probe sent after `from` has been heard: every frame sent before it has
// then arrived too (one socket, in order on loopback).
export function untilProbeHeard(peer: RtpPeer, from: number): Promise<void> {
  return untilRtp(peer, () => heardFrames(peer, from).filter((f) => isVoiced(f) && rmsDbfs(f) <= LOUD_DBFS).length >= 4);
}

export async function counterValue(counter: Counter<string>, labels: Record<string, string>): Promise<number> {
  const { values } = await counter.get();
  return values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value ?? 0;
}

// Records, at each clear of the playout queue (by the connector), how many bot frames the media
// had played: the reference "within one frame" is measured against, whatever the machine's load.
export function framesPlayedAtClears(session: MediaSession): number[] {
  const played: number[] = [];
  const clear = session.clear.bind(session);
  session.clear = () => {
    played.push(session.stats().botSamplesPlayed / session.frameSamples);
    clear();
  };
  return played;
}
