// The peer: WebRTC's VAD (libfvad compiled to WebAssembly by @echogarden/fvad-wasm), run on the
// same frames as ours.
import fvad from '@echogarden/fvad-wasm';

interface FvadModule {
  _fvad_new(): number;
  _fvad_free(handle: number): void;
  _fvad_set_mode(handle: number, mode: number): number;
  _fvad_set_sample_rate(handle: number, rateHz: number): number;
  _fvad_process(handle: number, frame: number, samples: number): number;
  _malloc(bytes: number): number;
  _free(pointer: number): void;
  HEAP16: Int16Array;
}

let loaded: Promise<FvadModule> | undefined;

// mode 0..3 as WebRTC's aggressiveness; returns one decision per frame.
export async function fvadDecisions(pcm: Int16Array, rateHz: number, frameSamples: number, mode: number): Promise<Uint8Array> {
  loaded ??= fvad() as Promise<FvadModule>;
  const wasm = await loaded;
  const handle = wasm._fvad_new();
  const frame = wasm._malloc(frameSamples * 2);
  try {
    if (wasm._fvad_set_mode(handle, mode) !== 0 || wasm._fvad_set_sample_rate(handle, rateHz) !== 0) {
      throw new Error(`fvad refused mode ${mode} at ${rateHz} Hz`);
    }
    const frames = Math.floor(pcm.length / frameSamples);
    const decisions = new Uint8Array(frames);
    for (let i = 0; i < frames; i++) {
      wasm.HEAP16.set(pcm.subarray(i * frameSamples, (i + 1) * frameSamples), frame >> 1);
      const result = wasm._fvad_process(handle, frame, frameSamples);
      if (result < 0) throw new Error('fvad_process failed');
      decisions[i] = result;
    }
    return decisions;
  } finally {
    wasm._free(frame);
    wasm._fvad_free(handle);
  }
}
