// The jitter-buffer delay each call ended with. The media counters themselves (packets, drops,
// jitter-buffer events, barge-ins) are read live from the native engine at each scrape
// (engine/media/media-metrics.ts), ended calls included.
import type { NativeSessionStats } from '../media/media-engine-binding.js';
import { histogram } from '../metrics.js';

const jitterDelay = histogram('parley_jitter_buffer_delay_ms', 'Jitter-buffer target delay at the end of each call', [20, 40, 60, 80, 100, 150, 200, 300, 400]);

export function recordCallMedia(stats: NativeSessionStats): void {
  if (stats.jitter) jitterDelay.observe(stats.jitter.targetDelayMs);
}
