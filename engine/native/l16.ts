// L16 payloads: PCM16 in network byte order (RFC 3551 section 4.5.11), whatever the host's.

export function pcmToL16(pcm: Int16Array): Uint8Array {
  const bytes = new Uint8Array(pcm.length * 2);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < pcm.length; i++) view.setInt16(2 * i, pcm[i]!, false);
  return bytes;
}

export function l16ToPcm(bytes: Uint8Array): Int16Array {
  const pcm = new Int16Array(bytes.length >> 1);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < pcm.length; i++) pcm[i] = view.getInt16(2 * i, false);
  return pcm;
}
