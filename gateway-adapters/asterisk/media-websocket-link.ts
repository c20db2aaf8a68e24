// One call's chan_websocket media link (Asterisk 20.18+/22.8+ ExternalMedia with
// transport=websocket, encapsulation=none, format=slin16). BINARY messages carry raw slin16
// (host byte order, little-endian on every platform Asterisk ships for); TEXT messages carry
// control: we handle MEDIA_START, MEDIA_XOFF/MEDIA_XON, send FLUSH_MEDIA on barge-in and, before a
// hangup, REPORT_QUEUE_DRAINED. chan_websocket.conf's control_message_format chooses plain text
// ("MEDIA_START key:value ...") or JSON ({"event": ...}) for both directions: commands go out in
// the style MEDIA_START came in (in JSON mode a plain-text command is answered with "Unable to
// parse JSON command").
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

// Longest wait, at hangup, for Asterisk to play what it has queued (CUSHION_FRAMES and the
// frames in flight: about 100 ms), before the socket is closed anyway.
export const DRAIN_TIMEOUT_MS = 500;

export interface MediaStart {
  connectionId: string;
  channel: string;
  // The channel's unique id (Asterisk 22 sends it; the ARI channelId Parley chose).
  channelId?: string;
  format: string;
  optimalFrameSize: number;
  // The control messages are JSON (control_message_format = json).
  json: boolean;
}

export interface ControlMessage {
  event: string;
  fields: Record<string, string>;
  json: boolean;
}

export function parseControl(text: string): ControlMessage {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    const parsed = JSON.parse(trimmed) as Record<string, unknown>;
    if (typeof parsed.event !== 'string') throw new MediaWebSocketError(`control message without event: ${trimmed.slice(0, 80)}`);
    const fields: Record<string, string> = {};
    for (const [key, value] of Object.entries(parsed)) if (typeof value === 'string' || typeof value === 'number') fields[key] = String(value);
    return { event: parsed.event, fields, json: true };
  }
  const [event = '', ...pairs] = trimmed.split(/\s+/);
  const fields: Record<string, string> = {};
  for (const pair of pairs) {
    const colon = pair.indexOf(':');
    if (colon > 0) fields[pair.slice(0, colon)] = pair.slice(colon + 1);
  }
  return { event, fields, json: false };
}

export function mediaStartOf({ fields, json }: ControlMessage): MediaStart {
  const optimalFrameSize = Number(fields.optimal_frame_size);
  if (!fields.connection_id || !fields.channel || !fields.format || !Number.isInteger(optimalFrameSize) || optimalFrameSize <= 0) {
    throw new MediaWebSocketError(`MEDIA_START without connection_id/channel/format/optimal_frame_size`);
  }
  return { connectionId: fields.connection_id, channel: fields.channel, channelId: fields.channel_id, format: fields.format, optimalFrameSize, json };
}

export class MediaWebSocketLink {
  private xoff = false;
  private started: MediaStart | undefined;
  private closed = false;
  private lastAudioMs = -Infinity;
  private onDrained: (() => void) | undefined;
  private readonly onBargeIn = (): void => {
    this.send('FLUSH_MEDIA');
    this.lastAudioMs = -Infinity; // the queue is empty again: the next audio needs its cushion
  };

  constructor(
    private readonly socket: WebSocket,
    private readonly session: MediaSession,
    private readonly logger: Logger,
    private readonly onBroken: (reason: string) => void,
    // Client mode: the channel id MEDIA_START must carry (the socket was matched to its call by the
    // call id Asterisk put in the URI, which chan_websocket sets on a shared client object).
    private readonly expectChannelId?: string,
  ) {
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

  // Resolves once Asterisk has played out everything already sent (QUEUE_DRAINED), the socket
  // closed, or `timeoutMs` passed: a hangup right after the bot's last words must not cut them.
  drain(timeoutMs = DRAIN_TIMEOUT_MS): Promise<void> {
    if (this.closed || this.started === undefined || this.socket.readyState !== this.socket.OPEN) return Promise.resolve();
    return new Promise((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.socket.off('close', finish);
        this.onDrained = undefined;
        resolve();
      };
      const timer = setTimeout(finish, timeoutMs);
      this.socket.once('close', finish);
      this.onDrained = finish;
      this.send('REPORT_QUEUE_DRAINED');
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.session.off('bargeIn', this.onBargeIn);
    this.socket.close(1000);
  }

  private send(command: string): void {
    if (this.closed || this.socket.readyState !== this.socket.OPEN) return;
    this.socket.send(this.started?.json ? JSON.stringify({ command }) : command, { binary: false });
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

  private onControl(message: ControlMessage): void {
    switch (message.event) {
      case 'MEDIA_START': {
        const start = mediaStartOf(message);
        if (start.format !== 'slin16') {
          this.onBroken('media_websocket_format');
          throw new MediaWebSocketError(`chan_websocket started with format ${start.format}, not slin16`);
        }
        // Asterisk 22's MEDIA_START carries channel_id (the id Parley gave the channel); an older
        // one that sends none is taken on the URI's word.
        if (this.expectChannelId !== undefined && start.channelId !== undefined && start.channelId !== this.expectChannelId) {
          asteriskMetrics.wsMedia.inc({ kind: 'channel_mismatch' });
          this.onBroken('media_websocket_mismatch');
          throw new MediaWebSocketError(`chan_websocket started for ${start.channelId}, not this call's ${this.expectChannelId}`);
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
      case 'QUEUE_DRAINED':
        this.onDrained?.();
        break;
      case 'ERROR':
        // Asterisk refused one of our commands (e.g. one not in the negotiated control format).
        asteriskMetrics.wsMedia.inc({ kind: 'asterisk_error' });
        this.logger.warn({ asteriskError: message.fields }, 'chan_websocket refused a command');
        break;
      default:
        // DTMF_END comes from the caller's ChannelDtmfReceived too (the bridge copies DTMF to us):
        // the ARI event is the one the bot gets, so this copy is ignored, as are STATUS replies.
        break;
    }
  }
}
