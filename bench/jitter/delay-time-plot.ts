// The buffer's delay over time on one trace, new against previous, as an SVG line chart: where a
// delay spike's backlog drains, the previous buffer steps down a frame at a time (drops), the new
// one glides (accelerate). Hand-rolled like delay-loss-plot.ts.
import type { SpeechRun } from './speech-run.js';

const WIDTH = 1000;
const HEIGHT = 360;
const MARGIN = 50;
const SERIES = [
  { label: 'time stretching (new)', color: '#d62728', pick: (run: Runs) => run.stretched },
  { label: 'whole frames (previous)', color: '#1f77b4', pick: (run: Runs) => run.previous },
];

interface Runs {
  stretched: SpeechRun['delays'];
  previous: SpeechRun['delays'];
}

export function delayOverTimeSvg(title: string, runs: Runs, fromS: number, toS: number): string {
  const inWindow = (d: { timeS: number }): boolean => d.timeS >= fromS && d.timeS <= toS;
  const all = [...runs.stretched, ...runs.previous].filter(inWindow);
  const maxMs = Math.ceil(Math.max(...all.map((d) => Math.max(d.delayMs, d.targetMs))) / 50) * 50 + 10;
  const x = (t: number): number => MARGIN + ((t - fromS) / (toS - fromS)) * (WIDTH - 2 * MARGIN);
  const y = (ms: number): number => HEIGHT - MARGIN - (Math.max(0, ms) / maxMs) * (HEIGHT - 2 * MARGIN);
  const path = (points: Array<[number, number]>): string => points.map(([t, ms], i) => `${i === 0 ? 'M' : 'L'}${x(t).toFixed(1)},${y(ms).toFixed(1)}`).join(' ');
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="20" text-anchor="middle" font-size="13">${title}: jitter-buffer delay over time</text>`,
    `<rect x="${MARGIN}" y="${MARGIN}" width="${WIDTH - 2 * MARGIN}" height="${HEIGHT - 2 * MARGIN}" fill="none" stroke="#888"/>`,
  ];
  for (let ms = 0; ms <= maxMs; ms += 50) parts.push(`<text x="${MARGIN - 6}" y="${y(ms) + 4}" font-size="10" text-anchor="end">${ms} ms</text>`);
  for (let t = Math.ceil(fromS); t <= toS; t += 2) parts.push(`<text x="${x(t)}" y="${HEIGHT - MARGIN + 16}" font-size="10" text-anchor="middle">${t} s</text>`);
  parts.push(`<path d="${path(runs.stretched.filter(inWindow).map((d) => [d.timeS, d.targetMs]))}" fill="none" stroke="#999" stroke-dasharray="4 3"/>`);
  SERIES.forEach((series, i) => {
    parts.push(`<path d="${path(series.pick(runs).filter(inWindow).map((d) => [d.timeS, d.delayMs]))}" fill="none" stroke="${series.color}" stroke-width="1.5"/>`);
    parts.push(`<line x1="${MARGIN + 10 + i * 220}" y1="38" x2="${MARGIN + 34 + i * 220}" y2="38" stroke="${series.color}" stroke-width="2"/><text x="${MARGIN + 40 + i * 220}" y="42" font-size="11">${series.label}</text>`);
  });
  parts.push(`<line x1="${MARGIN + 450}" y1="38" x2="${MARGIN + 474}" y2="38" stroke="#999" stroke-dasharray="4 3"/><text x="${MARGIN + 480}" y="42" font-size="11">target</text>`);
  parts.push('</svg>', '');
  return parts.join('\n');
}
