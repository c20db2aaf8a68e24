// Twilio Media Streams compatibility: a bot written for Twilio's bidirectional <Connect><Stream>
// (for example with Pipecat's Twilio serializer) talks to Parley unchanged. Caller audio goes out
// as base64 µ-law at 8 kHz; bot µ-law comes back and is decoded and resampled to the call's rate,
// with the native G.711 codec and resampler. Events without a Twilio message (speech, barge-in)
// are not sent: Twilio bots run their own VAD.
import { createHash, randomBytes } from 'node:crypto';
import type { CallInfo } from '../../call/call.js';
import type { CallMedia } from '../../call/call-media.js';
import { encodeUlaw } from '../../native/g711.js';
import { Resampler, type ResamplerRate } from '../../native/resampler.js';
import type { BotCommand, BotWireProtocol, CallEventToBot, WireMessage } from '../bot-wire-protocol.js';
import { MalformedBotMessageError } from '../errors.js';
import { parseJsonEvent } from '../json-event.js';
import { TwilioInboundAudio } from './twilio-inbound-audio.js';
import { isTwilioBotMedia, TWILIO_SAMPLE_RATE_HZ, twilioBotMessageSchemas, type TwilioToBot } from './twilio-messages.js';
import { FRAME_MS } from '../../media/frame.js';

// The bot's media messages (50 a second) are checked without zod (twilio-messages.ts).
const EXACT_CHECKS = { media: isTwilioBotMedia };
// A media message's JSON around its payload: about 150 bytes with the stream SID, and room for
// counters of many digits.
const MEDIA_MESSAGE_FIELDS_BYTES = 256;

function sid(prefix: string, seed?: string): string {
  const hex = seed === undefined ? randomBytes(16).toString('hex') : createHash('sha256').update(seed).digest('hex').slice(0, 32);
  return `${prefix}${hex}`;
}

export class TwilioProtocol implements BotWireProtocol {
  readonly name = 'twilio';
  readonly normalCloseIsHangup = true;
  readonly callerAudioFrames = 'text';
  private readonly streamSid = sid('MZ');
  private readonly callSid: string;
  private readonly accountSid = sid('AC', 'parley');
  private sequence = 0;
  private chunk = 0;
  // The call frame this stream's media.timestamp 0 stands for: the first frame sent on it.
  private streamStartFrame: number | undefined;
  private readonly toTwilio: Resampler | undefined;
  private readonly fromTwilio: TwilioInboundAudio;
  // Reused per caller frame: the hot direction allocates only the base64 and the message text.
  private readonly narrow: Int16Array;
  private readonly codes: Uint8Array;
  // A media message's bytes, rewritten per frame (grown if a message ever outgrows it).
  private wire: Buffer;

  constructor(
    private readonly media: CallMedia,
    private readonly info: CallInfo,
  ) {
    this.callSid = sid('CA', info.callId);
    const rate = media.sampleRateHz as ResamplerRate;
    if (rate !== TWILIO_SAMPLE_RATE_HZ) {
      this.toTwilio = new Resampler(rate, TWILIO_SAMPLE_RATE_HZ);
    }
    this.fromTwilio = new TwilioInboundAudio(rate);
    // Room for a streaming resampler's occasional extra output sample.
    this.narrow = new Int16Array((TWILIO_SAMPLE_RATE_HZ / 1000) * FRAME_MS * 2);
    this.codes = new Uint8Array(this.narrow.length);
    this.wire = Buffer.allocUnsafe(MEDIA_MESSAGE_FIELDS_BYTES + 4 * Math.ceil(this.codes.length / 3));
  }

  opening(): WireMessage[] {
    this.sequence = 0;
    this.chunk = 0;
    this.streamStartFrame = undefined;
    return [
      this.message({ event: 'connected', protocol: 'Call', version: '1.0.0' }),
      this.message({
        event: 'start',
        sequenceNumber: this.nextSequence(),
        start: {
          streamSid: this.streamSid,
          accountSid: this.accountSid,
          callSid: this.callSid,
          tracks: ['inbound'],
          customParameters: { ...this.info.customParameters, parleyCallId: this.info.callId },
          mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: TWILIO_SAMPLE_RATE_HZ, channels: 1 },
        },
        streamSid: this.streamSid,
      }),
    ];
  }

  // Twilio's chunk counts media messages from 1; its timestamp is the media's own time in ms since
  // the stream started, so a frame that never reached the bot shows as a 20 ms gap in timestamp
  // while chunk goes on by one.
  callerAudio(pcm: Int16Array, frameIndex: number): Buffer {
    this.streamStartFrame ??= frameIndex;
    const narrow = this.toTwilio ? this.narrow.subarray(0, this.toTwilio.processInto(pcm, this.narrow)) : pcm;
    const codes = encodeUlaw(narrow, this.codes.subarray(0, narrow.length));
    const chunk = ++this.chunk;
    const payload = Buffer.from(codes.buffer, codes.byteOffset, codes.length).toString('base64');
    // The hot message, 50 a second per call, written without JSON.stringify's walk over a fresh
    // object: every value is digits, base64 or the hex stream SID, none needs JSON escaping, and
    // the text is byte for byte what message() makes of the same fields (a test holds them equal).
    // All ASCII, so its latin1 bytes are its UTF-8.
    const text = `{"event":"media","sequenceNumber":"${this.nextSequence()}","media":{"track":"inbound","chunk":"${chunk}","timestamp":"${(frameIndex - this.streamStartFrame) * FRAME_MS}","payload":"${payload}"},"streamSid":"${this.streamSid}"}`;
    if (text.length > this.wire.length) this.wire = Buffer.allocUnsafe(2 * text.length);
    return this.wire.subarray(0, this.wire.write(text, 0, 'latin1'));
  }

  callEvent(event: CallEventToBot): WireMessage | undefined {
    switch (event.type) {
      case 'dtmf':
        return this.message({ event: 'dtmf', streamSid: this.streamSid, sequenceNumber: this.nextSequence(), dtmf: { track: 'inbound_track', digit: event.digit } });
      case 'mark':
        return this.message({ event: 'mark', sequenceNumber: this.nextSequence(), streamSid: this.streamSid, mark: { name: event.name } });
      case 'stop':
        return this.message({ event: 'stop', sequenceNumber: this.nextSequence(), streamSid: this.streamSid, stop: { accountSid: this.accountSid, callSid: this.callSid } });
      default:
        return undefined;
    }
  }

  decode(data: Buffer, isBinary: boolean): BotCommand {
    if (isBinary) throw new MalformedBotMessageError('unexpected_binary', 'Twilio Media Streams carries audio in JSON media messages, not binary frames');
    const { event, message } = parseJsonEvent(data.toString('utf8'), twilioBotMessageSchemas, EXACT_CHECKS);
    switch (event) {
      case 'media':
        return { type: 'audio', pcm: this.fromTwilio.pcmOf(message.media.payload) };
      case 'mark':
        return { type: 'mark', name: message.mark.name };
      case 'clear':
        return { type: 'clear' };
    }
  }

  private nextSequence(): string {
    return String(++this.sequence);
  }

  private message(message: TwilioToBot): string {
    return JSON.stringify(message);
  }
}
