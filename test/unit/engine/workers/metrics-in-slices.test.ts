// A worker's report gathers its registry a slice at a time: the same JSON as prom-client's
// getMetricsAsJSON, with the event loop let in between slices (where a due media tick runs).
import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { MediaCounterSource, withOneMediaSnapshot } from '../../../../engine/media/media-metrics.js';
import { registry as nodeRegistry } from '../../../../engine/metrics.js';
import { metricsAsJsonInSlices } from '../../../../engine/workers/metrics-in-slices.js';

function registryOf(metrics: number): Registry {
  const registry = new Registry();
  for (let i = 0; i < metrics; i++) {
    new Counter({ name: `c${i}_total`, help: 'a counter', labelNames: ['kind'], registers: [registry] }).inc({ kind: 'x' }, i);
    new Histogram({ name: `h${i}_seconds`, help: 'a histogram', buckets: [0.1, 1], registers: [registry] }).observe(i / 10);
  }
  return registry;
}

describe('metricsAsJsonInSlices', () => {
  it("answers what the registry's getMetricsAsJSON answers", async () => {
    const registry = registryOf(20);
    expect(await metricsAsJsonInSlices(registry)).toEqual(await registry.getMetricsAsJSON());
  });

  it('lets the event loop run between slices, and not within one', async () => {
    const registry = registryOf(5);
    let turns = 0;
    let counting = true;
    const count = (): void => {
      turns++;
      if (counting) setImmediate(count);
    };
    // A slice of no time: every metric is its own slice.
    setImmediate(count);
    await metricsAsJsonInSlices(registry, 0);
    const sliced = turns;
    turns = 0;
    // A slice longer than the whole gathering: one slice, no turn of the loop inside it.
    await metricsAsJsonInSlices(registry, 60_000);
    counting = false;
    expect(sliced).toBeGreaterThanOrEqual(registry.getMetricsAsArray().length - 1);
    expect(turns).toBe(0);
  });

  it("reads the media engines' counters once per gathering, however many slices it takes", async () => {
    let reads = 0;
    const source = new MediaCounterSource(['packetsReceived', 'malformed'], (out) => {
      reads++;
      out[0] = 7;
      out[1] = 2;
    });
    source.attach();
    try {
      // Every metric its own slice: the event loop (and its microtasks) runs between all of them.
      const metrics = await metricsAsJsonInSlices(nodeRegistry, 0);
      expect(reads).toBe(1);
      const packets = metrics.find((metric) => metric.name === 'parley_media_packets_total');
      expect(packets?.values.find((value) => value.labels.direction === 'in')?.value).toBe(7);
      // The next gathering reads them afresh.
      await metricsAsJsonInSlices(nodeRegistry, 0);
      expect(reads).toBe(2);
      // Two gatherings that overlap (a worker's last report at shutdown) share one read, also
      // after the first one ends.
      const packetsMetric = nodeRegistry.getSingleMetric('parley_media_packets_total')!;
      const first = withOneMediaSnapshot(() => packetsMetric.get());
      await withOneMediaSnapshot(async () => {
        await packetsMetric.get();
        await first;
        await new Promise((resolve) => setImmediate(resolve));
        await packetsMetric.get();
      });
      expect(reads).toBe(3);
      // A scrape, and a gathering begun in the same turn, before the scrape's snapshot is let go:
      // one read each, the gathering's kept to its end.
      await Promise.all([nodeRegistry.getMetricsAsJSON(), withOneMediaSnapshot(async () => {
        await packetsMetric.get();
        await new Promise((resolve) => setImmediate(resolve));
        await packetsMetric.get();
      })]);
      expect(reads).toBe(5);
    } finally {
      source.detach();
    }
  });

  it("answers the node registry's media metrics as getMetricsAsJSON does, slice by slice", async () => {
    // Speech frames show in two metrics: read once, both carry the same count.
    let speechFrames = 100;
    const source = new MediaCounterSource(['speechFrames', 'packetsSent', 'jitterLost', 'liveSessions'], (out) => {
      out[0] = speechFrames++;
      out[1] = 50;
      out[2] = 3;
      out[3] = 2;
    });
    source.attach();
    try {
      const media = (metrics: Awaited<ReturnType<typeof metricsAsJsonInSlices>>): unknown[] => metrics.filter((metric) => /^parley_(media|jitter)_/.test(metric.name));
      const sliced = media(await metricsAsJsonInSlices(nodeRegistry, 0));
      speechFrames = 100;
      expect(sliced).toEqual(media(await nodeRegistry.getMetricsAsJSON()));
    } finally {
      source.detach();
    }
  });
});
