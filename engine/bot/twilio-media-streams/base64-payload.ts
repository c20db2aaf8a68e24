// Base64 as Twilio sends and expects it: RFC 4648 section 4, its alphabet only, padded to whole
// groups of four. Node's decoder is lenient (it skips what is not base64, takes the URL-safe
// alphabet, stops at an early '='), so a payload is checked first. Of a text whose length is a
// multiple of four, "the alphabet, then at most two '='" is the same language as groups of four
// ending in an optional padded group, without the groups: that expression (the check before this
// one) kept a backtrack point per group, 7.5 k instructions for a 20 ms payload against this
// one's 3.8 k, and a loop over the characters in JS cost ~3.5 k more (docs/benchmarks.md).

const PAD = '='.charCodeAt(0);

// How many '=' close the text (isBase64 allows up to two).
function padding(text: string): number {
  const length = text.length;
  if (length === 0 || text.charCodeAt(length - 1) !== PAD) return 0;
  return text.charCodeAt(length - 2) === PAD ? 2 : 1;
}

const ALPHABET_THEN_PADDING = /^[A-Za-z0-9+/]*={0,2}$/;

export function isBase64(text: string): boolean {
  return text.length % 4 === 0 && ALPHABET_THEN_PADDING.test(text);
}

// The bytes a text isBase64 accepts decodes to.
export function base64Bytes(text: string): number {
  return (text.length / 4) * 3 - padding(text);
}
