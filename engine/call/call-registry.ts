// The live calls of this node, for the admin view, metrics and the drain on shutdown.
import { counter, gauge } from '../metrics.js';
import { addLiveQualitySource } from '../quality/quality-metrics.js';
import type { Call, CallInfo, CallSummary } from './call.js';

const activeCalls = gauge('parley_calls_active', 'Calls in progress');
const endedCalls = counter('parley_calls_ended_total', 'Calls ended, by reason', ['reason']);

export class CallRegistry {
  private readonly calls = new Map<string, Call>();
  private emptyWaiters: Array<() => void> = [];

  constructor() {
    addLiveQualitySource(() => this.list().map((summary) => summary.quality));
  }

  add(call: Call): void {
    this.calls.set(call.info.callId, call);
    activeCalls.set(this.calls.size);
    call.once('ended', (reason) => {
      this.calls.delete(call.info.callId);
      activeCalls.set(this.calls.size);
      endedCalls.inc({ reason });
      if (this.calls.size === 0) for (const wake of this.emptyWaiters.splice(0)) wake();
    });
  }

  get size(): number {
    return this.calls.size;
  }

  // Live calls by where they came from (the drain logs it when it begins and when it cuts).
  bySource(): Partial<Record<CallInfo['source'], number>> {
    const counts: Partial<Record<CallInfo['source'], number>> = {};
    for (const call of this.calls.values()) counts[call.info.source] = (counts[call.info.source] ?? 0) + 1;
    return counts;
  }

  // Settles once no call is live (at once when none is).
  whenEmpty(): Promise<void> {
    if (this.calls.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.emptyWaiters.push(resolve));
  }

  list(): CallSummary[] {
    return [...this.calls.values()].map((call) => call.summary());
  }

  endAll(reason: string): void {
    for (const call of [...this.calls.values()]) call.end(reason);
  }
}
