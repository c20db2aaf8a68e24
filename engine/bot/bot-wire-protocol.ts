// The contract between the shared bot connection (socket lifecycle, queues, faults) and one wire
// format (Parley's own, or Twilio Media Streams). A protocol is a pure translator: call events in,
// WebSocket messages out; bot messages in, commands out. It never touches the socket or the media.
import type { CallInfo } from '../call/call.js';
import type { CallMedia } from '../call/call-media.js';
import type { TurnKind } from '../call/turn-latency.js';

export type WireMessage = string | Buffer;

export type BotCommand =
  | { type: 'audio'; pcm: Int16Array } // PCM16 at the call's rate
  | { type: 'mark'; name: string }
  | { type: 'clear' }
  // `botReason` is the bot's own text: logged (truncated) for the operator, never a metric label
  // or a call's end reason (those come from a closed set: this one ends the call as `bot_hangup`).
  | { type: 'hangup'; botReason?: string }
  | { type: 'dtmf'; digits: string };

export type CallEventToBot =
  | { type: 'speech_started'; speechMs: number }
  | { type: 'speech_stopped' }
  | { type: 'barge_in'; playedMs: number }
  | { type: 'turn'; kind: TurnKind; latencyMs: number }
  | { type: 'dtmf'; digit: string; durationMs: number }
  | { type: 'mark'; name: string }
  | { type: 'stop'; reason: string };

export interface BotWireProtocol {
  readonly name: 'parley' | 'twilio';
  // Whether a bot closing its socket normally (1000) means "hang up" rather than a fault: true for
  // Twilio, where ending a <Connect><Stream> is how a bot ends its part of the call.
  readonly normalCloseIsHangup: boolean;
  // What to send right after the socket opens; `resumed` after a reconnect.
  opening(resumed: boolean): WireMessage[];
  // How caller audio goes on the wire: binary frames (Parley's PCM), or text frames whose ASCII
  // bytes the protocol wrote itself (Twilio's JSON), which ws sends as they are: no string to
  // measure and encode, nor a header and payload corked into a writev, per frame.
  readonly callerAudioFrames: 'binary' | 'text';
  // One 20 ms frame of caller audio, a Buffer framed as callerAudioFrames says. The array is only
  // valid during the call, and so is a message that views it or the protocol's own reused bytes:
  // the connection sends it at once (ws copies it into the frame it masks).
  // `frameIndex` counts the call's caller frames on its continuous 20 ms clock, sent or not, so
  // frames dropped on the way (backpressure, a bot still connecting) leave a gap in stream time.
  callerAudio(pcm: Int16Array, frameIndex: number): Buffer;
  // undefined: this protocol has no message for that event.
  callEvent(event: CallEventToBot): WireMessage | undefined;
  // Throws MalformedBotMessageError for anything the schema rejects. An audio command's PCM may be
  // the protocol's own array, reused by the next message: the connection plays it at once (play
  // copies it into the native playout queue).
  decode(data: Buffer, isBinary: boolean): BotCommand;
}

export type BotWireProtocolFactory = (media: CallMedia, info: CallInfo) => BotWireProtocol;
