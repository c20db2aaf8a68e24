// The live calls of this node, for the admin view, metrics and draining on shutdown.
import { counter, gauge } from '../metrics.js';
import type { Call, CallSummary } from './call.js';

const activeCalls = gauge('parley_calls_active', 'Calls in progress');
const endedCalls = counter('parley_calls_ended_total', 'Calls ended, by reason', ['reason']);

export class CallRegistry {
  private readonly calls = new Map<string, Call>();

  add(call: Call): void {
    this.calls.set(call.info.callId, call);
    activeCalls.set(this.calls.size);
    call.once('ended', (reason) => {
      this.calls.delete(call.info.callId);
      activeCalls.set(this.calls.size);
      endedCalls.inc({ reason });
    });
  }

  get size(): number {
    return this.calls.size;
  }

  list(): CallSummary[] {
    return [...this.calls.values()].map((call) => call.summary());
  }

  endAll(reason: string): void {
    for (const call of [...this.calls.values()]) call.end(reason);
  }
}
