// Delay vs late loss per trace as an SVG scatter: one small panel per trace, three points each
// (adaptive, fixed 60 ms, fixed 120 ms). Hand-rolled: a dozen shapes of SVG do not justify a
// plotting dependency.
import type { BufferScore, TraceScore } from './trace-scoring.js';

const PANEL_W = 260;
const PANEL_H = 200;
const COLUMNS = 4;
const MARGIN = 40;
const SERIES: Array<{ label: string; color: string; pick: (t: TraceScore) => BufferScore }> = [
  { label: 'adaptive (time stretching)', color: '#d62728', pick: (t) => t },
  { label: 'adaptive (whole frames, previous)', color: '#ff7f0e', pick: (t) => t.previous },
  { label: 'fixed 60 ms', color: '#1f77b4', pick: (t) => t.fixed60 },
  { label: 'fixed 120 ms', color: '#2ca02c', pick: (t) => t.fixed120 },
];

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function panel(trace: TraceScore, x0: number, y0: number): string {
  const points = SERIES.map((series) => series.pick(trace));
  const maxDelay = Math.max(...points.map((p) => p.mean_delay_ms)) * 1.2 + 1;
  const maxLoss = Math.max(1, ...points.map((p) => p.late_loss_pct)) * 1.2;
  const w = PANEL_W - MARGIN - 10;
  const h = PANEL_H - MARGIN - 20;
  const px = (delay: number): number => x0 + MARGIN + (delay / maxDelay) * w;
  const py = (loss: number): number => y0 + 20 + h - (loss / maxLoss) * h;
  const parts = [
    `<text x="${x0 + PANEL_W / 2}" y="${y0 + 14}" text-anchor="middle" font-size="11">${escapeXml(trace.name)}</text>`,
    `<rect x="${x0 + MARGIN}" y="${y0 + 20}" width="${w}" height="${h}" fill="none" stroke="#888"/>`,
    `<text x="${x0 + MARGIN}" y="${y0 + 20 + h + 14}" font-size="9">0</text>`,
    `<text x="${x0 + MARGIN + w}" y="${y0 + 20 + h + 14}" font-size="9" text-anchor="end">${maxDelay.toFixed(0)} ms mean delay</text>`,
    `<text x="${x0 + MARGIN - 4}" y="${y0 + 26}" font-size="9" text-anchor="end">${maxLoss.toFixed(1)}%</text>`,
    `<text x="${x0 + MARGIN - 4}" y="${y0 + 20 + h}" font-size="9" text-anchor="end">0%</text>`,
  ];
  SERIES.forEach((series, i) => {
    const p = points[i]!;
    parts.push(
      `<circle cx="${px(p.mean_delay_ms).toFixed(1)}" cy="${py(p.late_loss_pct).toFixed(1)}" r="5" fill="${series.color}"><title>${series.label}: ${p.mean_delay_ms} ms, ${p.late_loss_pct}% late</title></circle>`,
    );
  });
  return parts.join('\n');
}

export function delayLossSvg(traces: TraceScore[]): string {
  const rows = Math.ceil(traces.length / COLUMNS);
  const width = PANEL_W * COLUMNS;
  const height = PANEL_H * rows + 30;
  const legend = SERIES.map(
    (series, i) =>
      `<circle cx="${20 + i * 200}" cy="15" r="5" fill="${series.color}"/><text x="${30 + i * 200}" y="19" font-size="11">${series.label}</text>`,
  ).join('\n');
  const caption = `<text x="${width - 10}" y="${height - 8}" font-size="11" text-anchor="end">x: mean added delay, y: late loss (% of packets sent)</text>`;
  const panels = traces.map((trace, i) => panel(trace, (i % COLUMNS) * PANEL_W, 30 + Math.floor(i / COLUMNS) * PANEL_H));
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    legend,
    caption,
    ...panels,
    '</svg>',
    '',
  ].join('\n');
}
