// The node's /metrics with media workers: the control plane's own registry plus the last report
// of every live worker, merged with prom-client's AggregatorRegistry (made for exactly this:
// counters and histograms of the same name and labels are summed, so parley_media_packets_total
// is the node's total). The tick histograms keep a `worker` label (the worker's index, or
// `inline` for the control plane's own engine): one stalled worker shows as itself. Per worker
// too: calls, CPU seconds, failures and restarts. Labels are bounded by the worker count.
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import type { Counter, Gauge } from 'prom-client';
import { ENGINE_LATENCY_METRIC } from '../media/media-metrics.js';
import { counter, gauge, registry } from '../metrics.js';
import type { FromWorker } from './worker-messages.js';

type Report = Extract<FromWorker, { type: 'report' }>;

const PER_WORKER_METRICS = new Set(['parley_media_tick_duration_seconds', 'parley_media_tick_lateness_seconds', ENGINE_LATENCY_METRIC]);
const INLINE = 'inline';

const reports = new Map<number, Report>();

// A gauge of each live worker, read from its last report when /metrics is scraped.
function reportedGauge(name: string, help: string, valueOf: (report: Report) => number): Gauge<string> {
  return gauge(name, help, ['worker'], function (this: Gauge<string>) {
    this.reset();
    for (const [index, report] of reports) this.set({ worker: String(index) }, valueOf(report));
  });
}

export const workerMetrics = {
  calls: gauge('parley_media_worker_calls', 'Calls whose media runs on each media worker', ['worker']),
  cpu: counter('parley_media_worker_cpu_seconds_total', 'CPU time of each media worker process (user + system) since it started', ['worker'], function (this: Counter<string>) {
    this.reset();
    for (const [index, report] of reports) this.inc({ worker: String(index) }, (report.cpuUserUs + report.cpuSystemUs) / 1e6);
  }),
  // The node's parley_process_process_resident_memory_bytes sums every process; this tells one
  // worker that holds on to memory (the heap a burst of calls left behind) from the rest.
  resident: reportedGauge('parley_media_worker_resident_memory_bytes', 'Resident memory of each media worker process, in bytes', (report) => report.residentBytes),
  realtime: reportedGauge(
    'parley_media_worker_realtime',
    'Whether each media worker event loop runs at a realtime priority (SCHED_RR: PARLEY_MEDIA_WORKER_REALTIME_PRIORITY asked for and granted)',
    (report) => (report.realtime ? 1 : 0),
  ),
  failures: counter('parley_media_worker_failures_total', 'Media workers that died (their calls ended with media_worker_failed)', ['worker']),
  restarts: counter('parley_media_worker_restarts_total', 'Media workers started again after dying', ['worker']),
  live: gauge('parley_media_workers_live', 'Media worker processes up now', [], function (this: Gauge<string>) {
    this.set(reports.size);
  }),

  observe(index: number, report: Report): void {
    reports.set(index, report);
    this.calls.set({ worker: String(index) }, report.calls);
  },

  // The last report of worker `index` (its CPU and registry as of then), for a reader that
  // diffs two of them (the load bench's engine latency over its window).
  lastReport(index: number): Report | undefined {
    return reports.get(index);
  },

  forget(index: number): void {
    reports.delete(index);
    this.calls.set({ worker: String(index) }, 0);
  },
};

function withWorkerLabel(metrics: MetricObjectWithValues<MetricValue<string>>[], worker: string): MetricObjectWithValues<MetricValue<string>>[] {
  return metrics.map((metric) =>
    PER_WORKER_METRICS.has(metric.name) ? { ...metric, values: metric.values.map((value) => ({ ...value, labels: { ...value.labels, worker } })) } : metric,
  );
}

// The text of /metrics: this process's registry and every worker's last report, merged.
export async function nodeMetricsText(): Promise<string> {
  if (reports.size === 0) return registry.metrics();
  const own = withWorkerLabel((await registry.getMetricsAsJSON()) as MetricObjectWithValues<MetricValue<string>>[], INLINE);
  const workers = [...reports].map(([index, report]) => withWorkerLabel(report.metrics as MetricObjectWithValues<MetricValue<string>>[], String(index)));
  return AggregatorRegistry.aggregate([own, ...workers]).metrics();
}
