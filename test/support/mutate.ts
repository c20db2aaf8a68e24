// Deterministic mutation of valid samples, for the TS-side fuzz tests: the same seed gives the
// same inputs on every run, so a failure names the seed and case index that reproduce it. The
// mutations are the ones that found bugs in parsers before: flipped bytes, truncation, repeated
// and deleted spans, and splices of tokens parsers mishandle (bad % escapes, huge numbers,
// separators, non-ASCII, JSON punctuation).
import { seededRandom } from './seeded-random.js';

const splices = [
  '%', '%G1', '%zz', '%%', '%c3%28', '\u0000', '\r\n', '\r\n\r\n', ' ', ';', ':', ',', '<', '>', '"', '\\', '@', '=',
  '999999999999999999999', '-1', '1e309', '128', '255', '65536', 'NaN', '\u00e9', '\ud83d\ude00', '\ufffd', '{', '}', '[', ']', 'null', '"event"', '0x10',
];

export function mutate(sample: Buffer, random: () => number): Buffer {
  let bytes = Buffer.from(sample);
  const steps = 1 + Math.floor(random() * 4);
  for (let step = 0; step < steps; step++) {
    const at = Math.floor(random() * (bytes.length + 1));
    switch (Math.floor(random() * 6)) {
      case 0: // flip a byte
        if (bytes.length > 0) bytes[Math.min(at, bytes.length - 1)] = Math.floor(random() * 256);
        break;
      case 1: // truncate
        bytes = bytes.subarray(0, at);
        break;
      case 2: {
        // repeat a span
        const end = Math.min(bytes.length, at + 1 + Math.floor(random() * 64));
        bytes = Buffer.concat([bytes.subarray(0, end), bytes.subarray(at, end), bytes.subarray(end)]);
        break;
      }
      case 3: {
        // delete a span
        const end = Math.min(bytes.length, at + 1 + Math.floor(random() * 32));
        bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(end)]);
        break;
      }
      default: {
        // splice in a troublesome token
        const token = Buffer.from(splices[Math.floor(random() * splices.length)]!, 'utf8');
        bytes = Buffer.concat([bytes.subarray(0, at), token, bytes.subarray(at)]);
      }
    }
  }
  return bytes;
}

// `count` mutants of the samples, round robin, from one seed.
export function* mutants(samples: readonly (string | Buffer)[], count: number, seed: number): Generator<{ index: number; input: Buffer }> {
  const random = seededRandom(seed);
  const buffers = samples.map((sample) => (typeof sample === 'string' ? Buffer.from(sample, 'utf8') : sample));
  for (let index = 0; index < count; index++) yield { index, input: mutate(buffers[index % buffers.length]!, random) };
}

// Runs `parse` on every mutant; anything thrown that is not one of `typed` is collected with the
// case that threw it (the test asserts the list is empty, so a failure shows the inputs).
export function untypedFailures(
  inputs: Iterable<{ index: number; input: Buffer }>,
  parse: (input: Buffer) => unknown,
  typed: ReadonlyArray<abstract new (...args: never[]) => Error>,
): Array<{ index: number; input: string; error: string }> {
  const failures: Array<{ index: number; input: string; error: string }> = [];
  for (const { index, input } of inputs) {
    try {
      parse(input);
    } catch (error) {
      if (typed.some((type) => error instanceof type)) continue;
      if (failures.length < 5) failures.push({ index, input: input.toString('latin1').slice(0, 300), error: String((error as Error)?.stack ?? error).slice(0, 400) });
    }
  }
  return failures;
}
