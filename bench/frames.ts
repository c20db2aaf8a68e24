// Whole frames of a PCM signal as views (no copy); a trailing partial frame is left out.
export function splitFrames(pcm: Int16Array, frameSamples: number): Int16Array[] {
  const frames: Int16Array[] = [];
  for (let i = 0; i + frameSamples <= pcm.length; i += frameSamples) frames.push(pcm.subarray(i, i + frameSamples));
  return frames;
}
