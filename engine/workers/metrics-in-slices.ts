// A media worker's registry as JSON for its periodic report, gathered a slice at a time. prom-client's
// getMetricsAsJSON collects every metric in one run of microtasks, which never lets the event loop
// in (and its default process metrics read /proc, one listing every open socket): 2-4 ms with 150
// calls, once a second, so the media tick that fell due meanwhile was that late. At 10 calls (50
// ticks a second) that one tick in 50 was the engine latency's p99. Between slices the loop runs,
// and a due tick waits at most a slice. The worker's registry has no default labels, so this is
// getMetricsAsJSON's answer. The media counters are read once for the whole gathering
// (withOneMediaSnapshot), not once per metric across the slices.
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { MetricObjectWithValues, MetricValue, Registry } from 'prom-client';
import { withOneMediaSnapshot } from '../media/media-metrics.js';

const SLICE_MS = 0.25;

export function metricsAsJsonInSlices(registry: Registry, sliceMs = SLICE_MS): Promise<Array<MetricObjectWithValues<MetricValue<string>>>> {
  return withOneMediaSnapshot(() => gatherInSlices(registry, sliceMs));
}

async function gatherInSlices(registry: Registry, sliceMs: number): Promise<Array<MetricObjectWithValues<MetricValue<string>>>> {
  const metrics: Array<MetricObjectWithValues<MetricValue<string>>> = [];
  let sliceStart = performance.now();
  for (const { name } of registry.getMetricsAsArray()) {
    if (performance.now() - sliceStart >= sliceMs) {
      await nextTurn();
      sliceStart = performance.now();
    }
    const metric = registry.getSingleMetric(name);
    if (metric !== undefined) metrics.push(await metric.get());
  }
  return metrics;
}
