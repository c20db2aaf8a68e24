// A Twilio bot's media payload to PCM at the call's rate: base64 to µ-law bytes to PCM16 at 8 kHz
// in one native crossing, then to the call's rate, each step into arrays reused from message to
// message (a bot sends 50 a second) rather than new ones per message. The PCM returned is valid
// until the next payload: the connection plays it at once, and play copies it into the native
// playout queue.
import { decodeBase64Ulaw, NOT_BASE64 } from '../../native/base64-ulaw.js';
import { Resampler, type ResamplerRate } from '../../native/resampler.js';
import { MalformedBotMessageError } from '../errors.js';
import { TWILIO_SAMPLE_RATE_HZ } from './twilio-messages.js';

// A bot media message may carry up to 10 s of µ-law.
const MAX_PAYLOAD_BYTES = 10 * TWILIO_SAMPLE_RATE_HZ;
// The longest text that can carry MAX_PAYLOAD_BYTES (whole groups of four characters for three
// bytes): longer is refused by its length, before it is copied, whatever its characters.
const MAX_PAYLOAD_CHARS = Math.ceil(MAX_PAYLOAD_BYTES / 3) * 4;
// Messages up to 100 ms reuse the arrays; longer ones (rare: bots send 20-40 ms, or a prompt at
// once) get arrays of their own, so a call does not hold 10 s of scratch for one of them.
const REUSED_PAYLOAD_BYTES = (TWILIO_SAMPLE_RATE_HZ / 1000) * 100;

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
  private readonly narrow = new Scratch(new Int16Array(REUSED_PAYLOAD_BYTES));
  // From 8 kHz to the call's rate, unless the call runs at 8 kHz.
  private readonly widen: { resampler: Resampler; wide: Scratch; samplesPerInput: number } | undefined;

  constructor(callRateHz: ResamplerRate) {
    if (callRateHz === TWILIO_SAMPLE_RATE_HZ) return;
    const samplesPerInput = callRateHz / TWILIO_SAMPLE_RATE_HZ;
    this.widen = {
      resampler: new Resampler(TWILIO_SAMPLE_RATE_HZ, callRateHz),
      wide: new Scratch(new Int16Array(roomToWiden(REUSED_PAYLOAD_BYTES, samplesPerInput))),
      samplesPerInput,
    };
  }

  pcmOf(payload: string): Int16Array {
    if (payload.length > MAX_PAYLOAD_CHARS) throw payloadSize(`${payload.length} characters`);
    let narrowRoom = this.narrow.room(REUSED_PAYLOAD_BYTES);
    const samples = decodeBase64Ulaw(payload, narrowRoom);
    if (samples === NOT_BASE64) throw new MalformedBotMessageError('bad_base64', 'media.payload is not base64');
    if (samples === 0 || samples > MAX_PAYLOAD_BYTES) throw payloadSize(`${samples} µ-law bytes`);
    // Longer than the reused array (the text checked, nothing written): decoded again into an
    // array of its own.
    if (samples > narrowRoom.length) {
      narrowRoom = this.narrow.room(samples);
      decodeBase64Ulaw(payload, narrowRoom);
    }
    const narrow = this.narrow.first(narrowRoom, samples);
    if (this.widen === undefined) return narrow;
    const { resampler, wide, samplesPerInput } = this.widen;
    const wideRoom = wide.room(roomToWiden(narrow.length, samplesPerInput));
    return wide.first(wideRoom, resampler.processInto(narrow, wideRoom));
  }
}

function payloadSize(got: string): MalformedBotMessageError {
  return new MalformedBotMessageError('payload_size', `media.payload must carry 1 to ${MAX_PAYLOAD_BYTES} µ-law bytes, got ${got}`);
}

// The resampler's bound on its output (native Resampler::MaxOutputSamples, which processInto
// holds the output to): the exact count, and one for a streaming filter's phase.
function roomToWiden(samples: number, samplesPerInput: number): number {
  return samples * samplesPerInput + 1;
}
