// One prom-client registry for the process (served at /metrics). Metrics are defined once, at
// module load, by the module that owns them.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type CollectFunction } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'parley_process_' });

// `collect`, when given, runs at each scrape to set the values from their source.
export function counter(name: string, help: string, labelNames: readonly string[] = [], collect?: CollectFunction<Counter<string>>): Counter<string> {
  return new Counter({ name, help, labelNames, registers: [registry], collect });
}

export function gauge(name: string, help: string, labelNames: readonly string[] = [], collect?: CollectFunction<Gauge<string>>): Gauge<string> {
  return new Gauge({ name, help, labelNames, registers: [registry], collect });
}

export function histogram(name: string, help: string, buckets: number[], labelNames: readonly string[] = []): Histogram<string> {
  return new Histogram({ name, help, buckets, labelNames, registers: [registry] });
}

/** Where hostile or invalid input was refused; one closed set so `/metrics` stays bounded. */
export type RefusedSurface = 'http' | 'signaling' | 'webrtc' | 'media' | 'sip' | 'bot' | 'asterisk' | 'audiosocket';

const refusedTotal = counter(
  'parley_refused_total',
  'Input refused as hostile or invalid, by surface and reason (reasons are constants in the code, never input)',
  ['surface', 'reason'],
);

/** Counts one refused input. `reason` must be a constant from the caller's code, never a string taken from input. */
export function countRefused(surface: RefusedSurface, reason: string, count = 1): void {
  refusedTotal.inc({ surface, reason }, count);
}
