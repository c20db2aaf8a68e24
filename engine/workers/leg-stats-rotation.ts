// Which legs' live media stats a worker's periodic report carries. Every leg in every report cost
// ~40 µs of worker CPU per call-second (a native stats() object each, structured-cloned: ~1.1 KB
// per call per second over the channel, measured with 200 PCMU legs) and as much again in the
// control plane, for counts that only the admin view and a call's running summary read. A leg is
// reported in the first report after it appears, then in every `period`-th one, the legs spread
// evenly over the reports: each leg's live stats are at most `period` reports old. They are read
// a slice at a time, yielding to the event loop between slices: one synchronous pass over 200
// legs held the worker's media tick back ~8 ms once a second.
const LEGS_PER_SLICE = 25;

export class LegStatsRotation {
  private readonly serials = new Map<string, number>();
  private nextSerial = 0;
  private round = 0;

  constructor(private readonly period: number) {}

  // The ids of `live` whose stats go into this report.
  pick(live: Iterable<string>): string[] {
    const turn = this.round++ % this.period;
    const picked: string[] = [];
    const seen = new Set<string>();
    for (const callId of live) {
      seen.add(callId);
      let serial = this.serials.get(callId);
      if (serial === undefined) {
        serial = this.nextSerial++;
        this.serials.set(callId, serial);
        picked.push(callId);
      } else if (serial % this.period === turn) {
        picked.push(callId);
      }
    }
    for (const callId of this.serials.keys()) if (!seen.has(callId)) this.serials.delete(callId);
    return picked;
  }

  // This report's stats of `live`'s legs, by id, read by `read` a slice at a time; a leg gone
  // by its slice's turn is left out.
  async collect<Leg, Stats>(live: ReadonlyMap<string, Leg>, read: (leg: Leg) => Stats): Promise<Record<string, Stats>> {
    const picked = this.pick(live.keys());
    const stats: Record<string, Stats> = {};
    for (let start = 0; start < picked.length; start += LEGS_PER_SLICE) {
      if (start > 0) await new Promise((resolve) => setImmediate(resolve));
      for (const callId of picked.slice(start, start + LEGS_PER_SLICE)) {
        const leg = live.get(callId);
        if (leg !== undefined) stats[callId] = read(leg);
      }
    }
    return stats;
  }
}
