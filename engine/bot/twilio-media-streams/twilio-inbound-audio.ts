// A Twilio bot's media payload to PCM at the call's rate: base64 to µ-law bytes to PCM16 at 8 kHz
// in one native crossing, then to the call's rate, each step into arrays reused from message to
// message (a bot sends 50 a second) rather than new ones per message. The PCM returned is valid
// until the next payload: the connection plays it at once, and play copies it into the native
// playout queue.
import { InvalidStateError } from '../../errors.js';
import { Base64UlawRefusal, decodeBase64Ulaw, maxBase64Bytes } from '../../native/base64-ulaw.js';
import { Resampler, type ResamplerRate } from '../../native/resampler.js';
import { MalformedBotMessageError } from '../errors.js';
import { TWILIO_SAMPLE_RATE_HZ } from './twilio-messages.js';

// The base64 text that carries `bytes`: whole groups of four characters for three bytes.
const charsFor = (bytes: number): number => Math.ceil(bytes / 3) * 4;
// A bot media message may carry up to 10 s of µ-law.
const MAX_PAYLOAD_BYTES = 10 * TWILIO_SAMPLE_RATE_HZ;
// The longest text that can carry MAX_PAYLOAD_BYTES: longer is refused by its length, before it
// is copied or any array is made for it, whatever its characters.
const MAX_PAYLOAD_CHARS = charsFor(MAX_PAYLOAD_BYTES);
// Messages up to 100 ms reuse the arrays; longer ones (rare: bots send 20-40 ms, or a prompt at
// once) get arrays of their own, so a call does not hold 10 s of scratch for one of them. The
// reused room is what the longest text of 100 ms may decode to, so that text fits it.
const REUSED_ROOM = maxBase64Bytes(charsFor((TWILIO_SAMPLE_RATE_HZ / 1000) * 100));
// The native decode's alphabet rule (RFC 4648 section 4), checked in JS only before an array of
// its own is made for a long text: junk past the reused room is refused without allocating.
const BASE64_TEXT = /^[A-Za-z0-9+/]*={0,2}$/;

// An array reused across messages, and the view of its first elements last lent out, made again
// only when the length changes (a bot's messages are mostly of one size).
class Scratch {
  private view: Int16Array;

  constructor(private readonly whole: Int16Array) {
    this.view = whole.subarray(0, 0);
  }

  // At least `length` elements: the reused array, or a new one for a message longer than it.
  room(length: number): Int16Array {
    return length <= this.whole.length ? this.whole : new Int16Array(length);
  }

  // The first `length` elements of an array room() gave.
  first(array: Int16Array, length: number): Int16Array {
    if (array !== this.whole) return array.subarray(0, length);
    if (this.view.length !== length) this.view = this.whole.subarray(0, length);
    return this.view;
  }
}

export class TwilioInboundAudio {
  private readonly narrow = new Scratch(new Int16Array(REUSED_ROOM));
  // From 8 kHz to the call's rate, unless the call runs at 8 kHz.
  private readonly widen: { resampler: Resampler; wide: Scratch; samplesPerInput: number } | undefined;

  constructor(callRateHz: ResamplerRate) {
    if (callRateHz === TWILIO_SAMPLE_RATE_HZ) return;
    const samplesPerInput = callRateHz / TWILIO_SAMPLE_RATE_HZ;
    this.widen = {
      resampler: new Resampler(TWILIO_SAMPLE_RATE_HZ, callRateHz),
      wide: new Scratch(new Int16Array(roomToWiden(REUSED_ROOM, samplesPerInput))),
      samplesPerInput,
    };
  }

  pcmOf(payload: string): Int16Array {
    if (payload.length > MAX_PAYLOAD_CHARS) throw payloadSize(`${payload.length} characters`);
    const room = maxBase64Bytes(payload.length);
    if (room > REUSED_ROOM && (payload.length % 4 !== 0 || !BASE64_TEXT.test(payload))) throw notBase64();
    const narrowRoom = this.narrow.room(room);
    const samples = decodeBase64Ulaw(payload, narrowRoom);
    if (samples === Base64UlawRefusal.notBase64) throw notBase64();
    // Not the bot's fault: the room is what the text may decode to.
    if (samples === Base64UlawRefusal.outputTooSmall) throw new InvalidStateError(`base64 decode refused a room of ${narrowRoom.length} for ${payload.length} characters`);
    if (samples === 0 || samples > MAX_PAYLOAD_BYTES) throw payloadSize(`${samples} µ-law bytes`);
    const narrow = this.narrow.first(narrowRoom, samples);
    if (this.widen === undefined) return narrow;
    const { resampler, wide, samplesPerInput } = this.widen;
    const wideRoom = wide.room(roomToWiden(narrow.length, samplesPerInput));
    return wide.first(wideRoom, resampler.processInto(narrow, wideRoom));
  }
}

function notBase64(): MalformedBotMessageError {
  return new MalformedBotMessageError('bad_base64', 'media.payload is not base64');
}

function payloadSize(got: string): MalformedBotMessageError {
  return new MalformedBotMessageError('payload_size', `media.payload must carry 1 to ${MAX_PAYLOAD_BYTES} µ-law bytes, got ${got}`);
}

// The resampler's bound on its output (native Resampler::MaxOutputSamples, which processInto
// holds the output to): the exact count, and one for a streaming filter's phase.
function roomToWiden(samples: number, samplesPerInput: number): number {
  return samples * samplesPerInput + 1;
}
