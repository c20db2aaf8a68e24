// Frame-level scoring of VAD decisions against labels: counts add up across files, so a score
// over several noise kinds is pooled, not an average of ratios.
export interface FrameCounts {
  truePositive: number;
  falsePositive: number;
  falseNegative: number;
  trueNegative: number;
}

export const emptyCounts = (): FrameCounts => ({ truePositive: 0, falsePositive: 0, falseNegative: 0, trueNegative: 0 });

export function countFrames(labels: Uint8Array, decisions: Uint8Array, into: FrameCounts = emptyCounts()): FrameCounts {
  const frames = Math.min(labels.length, decisions.length);
  for (let i = 0; i < frames; i++) {
    if (labels[i] && decisions[i]) into.truePositive++;
    else if (decisions[i]) into.falsePositive++;
    else if (labels[i]) into.falseNegative++;
    else into.trueNegative++;
  }
  return into;
}

export const recall = (c: FrameCounts): number => c.truePositive / Math.max(1, c.truePositive + c.falseNegative);
export const precision = (c: FrameCounts): number => c.truePositive / Math.max(1, c.truePositive + c.falsePositive);
