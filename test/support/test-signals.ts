// Deterministic synthetic test signals (seeded, so a failure reproduces).

// mulberry32: a tiny seeded PRNG; uniform in [0, 1).
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function whiteNoise(samples: number, amplitude: number, seed: number): Int16Array {
  const random = seededRandom(seed);
  return Int16Array.from({ length: samples }, () => Math.round((random() * 2 - 1) * amplitude));
}

// Exponential sine sweep from startHz to endHz.
export function sineSweep(samples: number, rateHz: number, startHz: number, endHz: number, amplitude: number): Int16Array {
  const durationS = samples / rateHz;
  const k = Math.log(endHz / startHz);
  return Int16Array.from({ length: samples }, (_, i) => {
    const t = i / rateHz;
    const phase = ((2 * Math.PI * startHz * durationS) / k) * (Math.exp((t / durationS) * k) - 1);
    return Math.round(amplitude * Math.sin(phase));
  });
}

export function sine(samples: number, rateHz: number, frequencyHz: number, amplitude: number): Int16Array {
  return Int16Array.from({ length: samples }, (_, i) => Math.round(amplitude * Math.sin((2 * Math.PI * frequencyHz * i) / rateHz)));
}
