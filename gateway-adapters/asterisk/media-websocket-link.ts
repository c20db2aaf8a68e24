// One call's chan_websocket media link (Asterisk 20.18+/22.8+ ExternalMedia with
// transport=websocket, encapsulation=none, format=slin16). BINARY messages carry raw slin16
// (host byte order, little-endian on every platform Asterisk ships for); TEXT messages carry
// control: we handle MEDIA_START, MEDIA_XOFF/MEDIA_XON and send FLUSH_MEDIA on barge-in. Both the
// plain-text ("MEDIA_START key:value ...") and the JSON ({"event": ...}) notification styles are
// understood, since chan_websocket.conf chooses between them.
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import type { MediaSession } from '../../engine/media/media-session.js';
import { asteriskMetrics } from './asterisk-metrics.js';
import { MediaWebSocketError } from './errors.js';

// chan_websocket closes the socket and hangs up on any message over 65,500 bytes.
export const MAX_MEDIA_MESSAGE_BYTES = 65_500;
export const SLIN16_FRAME_BYTES = 640; // 20 ms at 16 kHz, 16-bit
// Parley sends bot audio at real time and nothing between talkspurts (chan_websocket fills the
// gaps with silence itself), so Asterisk's queue starts each talkspurt empty: one late tick on
// either side and the caller hears a gap. A few frames of silence ahead of each talkspurt keep
// that many frames queued in Asterisk for the whole talkspurt, at the cost of their latency.
const CUSHION_FRAMES = 3;
// No bot audio for this long: the next audio starts a talkspurt.
const TALKSPURT_GAP_MS = 100;

export interface MediaStart {
  connectionId: string;
  channel: string;
  format: string;
  optimalFrameSize: number;
}

export function parseControl(text: string): { event: string; fields: Record<string, string> } {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    const parsed = JSON.parse(trimmed) as Record<string, unknown>;
    if (typeof parsed.event !== 'string') throw new MediaWebSocketError(`control message without event: ${trimmed.slice(0, 80)}`);
    const fields: Record<string, string> = {};
    for (const [key, value] of Object.entries(parsed)) if (typeof value === 'string' || typeof value === 'number') fields[key] = String(value);
    return { event: parsed.event, fields };
  }
  const [event = '', ...pairs] = trimmed.split(/\s+/);
  const fields: Record<string, string> = {};
  for (const pair of pairs) {
    const colon = pair.indexOf(':');
    if (colon > 0) fields[pair.slice(0, colon)] = pair.slice(colon + 1);
  }
  return { event, fields };
}

export function mediaStartOf(fields: Record<string, string>): MediaStart {
  const optimalFrameSize = Number(fields.optimal_frame_size);
  if (!fields.connection_id || !fields.channel || !fields.format || !Number.isInteger(optimalFrameSize) || optimalFrameSize <= 0) {
    throw new MediaWebSocketError(`MEDIA_START without connection_id/channel/format/optimal_frame_size`);
  }
  return { connectionId: fields.connection_id, channel: fields.channel, format: fields.format, optimalFrameSize };
}

export class MediaWebSocketLink {
  private xoff = false;
  private started: MediaStart | undefined;
  private closed = false;
  private lastAudioMs = -Infinity;
  private readonly onBargeIn = (): void => {
    this.send('FLUSH_MEDIA');
    this.lastAudioMs = -Infinity; // the queue is empty again: the next audio needs its cushion
  };

  constructor(
    private readonly socket: WebSocket,
    private readonly session: MediaSession,
    private readonly logger: Logger,
    private readonly onBroken: (reason: string) => void,
    // Client mode: the adapter already read MEDIA_START to know which call the socket is for.
    start?: MediaStart,
  ) {
    this.started = start;
    socket.binaryType = 'nodebuffer';
    socket.on('message', (data, isBinary) => this.onMessage(data as Buffer, isBinary));
    socket.on('close', () => {
      if (!this.closed) onBroken('media_websocket_closed');
    });
    socket.on('error', (error) => logger.warn({ err: error }, 'media websocket error'));
    // Bot audio already handed to Asterisk sits in chan_websocket's queue: barge-in must drop it.
    session.on('bargeIn', this.onBargeIn);
  }

  get mediaStart(): MediaStart | undefined {
    return this.started;
  }

  // Called every 20 ms: hands the session's paced bot audio to Asterisk.
  pump(): void {
    if (this.closed || this.started === undefined) return;
    const pcm = this.session.takeOutboundPcm();
    if (pcm.length === 0) return;
    if (this.xoff) {
      // Asterisk asked us to stop: what it would drop anyway is dropped here, and counted.
      asteriskMetrics.wsMedia.inc({ kind: 'dropped_xoff' }, Math.ceil((pcm.length * 2) / SLIN16_FRAME_BYTES));
      return;
    }
    const nowMs = performance.now();
    if (nowMs - this.lastAudioMs > TALKSPURT_GAP_MS) this.socket.send(Buffer.alloc(CUSHION_FRAMES * SLIN16_FRAME_BYTES), { binary: true });
    this.lastAudioMs = nowMs;
    const bytes = Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);
    // Whole frames per message and never above chan_websocket's limit.
    const chunk = Math.floor(MAX_MEDIA_MESSAGE_BYTES / SLIN16_FRAME_BYTES) * SLIN16_FRAME_BYTES;
    for (let offset = 0; offset < bytes.length; offset += chunk) {
      this.socket.send(bytes.subarray(offset, Math.min(bytes.length, offset + chunk)), { binary: true });
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.session.off('bargeIn', this.onBargeIn);
    this.socket.close(1000);
  }

  private send(command: string): void {
    if (!this.closed && this.socket.readyState === this.socket.OPEN) this.socket.send(command, { binary: false });
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (isBinary) {
      if (this.started === undefined) return;
      // Copy into an aligned buffer: a Buffer view may start at an odd byte offset.
      const samples = new Int16Array(Math.floor(data.length / 2));
      Buffer.from(samples.buffer).set(data.subarray(0, samples.length * 2));
      this.session.pushCallerPcm(samples);
      return;
    }
    try {
      this.onControl(parseControl(data.toString('utf8')));
    } catch (error) {
      asteriskMetrics.wsMedia.inc({ kind: 'bad_control' });
      this.logger.warn({ err: error }, 'dropping a malformed chan_websocket control message');
    }
  }

  private onControl({ event, fields }: { event: string; fields: Record<string, string> }): void {
    switch (event) {
      case 'MEDIA_START': {
        const start = mediaStartOf(fields);
        if (start.format !== 'slin16') {
          this.onBroken('media_websocket_format');
          throw new MediaWebSocketError(`chan_websocket started with format ${start.format}, not slin16`);
        }
        this.started = start;
        this.logger.info({ connectionId: start.connectionId, channel: start.channel }, 'chan_websocket media started');
        break;
      }
      case 'MEDIA_XOFF':
        this.xoff = true;
        asteriskMetrics.wsMedia.inc({ kind: 'xoff' });
        break;
      case 'MEDIA_XON':
        this.xoff = false;
        break;
      default:
        // DTMF_END comes from the caller's ChannelDtmfReceived too (the bridge copies DTMF to us):
        // the ARI event is the one the bot gets, so this copy is ignored, as are STATUS replies.
        break;
    }
  }
}
