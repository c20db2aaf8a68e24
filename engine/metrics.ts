// One prom-client registry for the process (served at /metrics). Metrics are defined once, at
// module load, by the module that owns them.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'parley_process_' });

export function counter(name: string, help: string, labelNames: readonly string[] = []): Counter<string> {
  return new Counter({ name, help, labelNames, registers: [registry] });
}

export function gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge<string> {
  return new Gauge({ name, help, labelNames, registers: [registry] });
}

export function histogram(name: string, help: string, buckets: number[], labelNames: readonly string[] = []): Histogram<string> {
  return new Histogram({ name, help, buckets, labelNames, registers: [registry] });
}
