// Connection diagnostics the button reports at the end of a call, kept for the operator view and
// counted by selected candidate type (why calls fail: no relay, all host, high loss...).
// Any grant holder can send them, so each call gets one report: repeats and oversized reports
// are refused and counted, never logged, so a caller cannot flood the logs or the operator view.
import type { Logger } from 'pino';
import { counter, countRefused } from '../../engine/metrics.js';
import type { CallDiagnostics } from './signal-messages.js';

const reports = counter('parley_call_diagnostics_total', 'Diagnostics reports from browsers, by selected candidate type', ['candidate_type']);

// The button's report is well under 2 KB (a full one, 64 ICE states, about 6 KB); the schema bounds its arrays, this bounds the rest.
export const MAX_DIAGNOSTICS_BYTES = 8192;
// Calls remembered as having reported (oldest forgotten first); far more than live calls.
const REMEMBERED_CALLS = 10_000;

// Reasons of parley_refused_total{surface="signaling"}.
const REFUSED = { repeated: 'diagnostics_repeated', tooLarge: 'diagnostics_too_large' } as const;

export interface DiagnosticsEntry {
  callId: string;
  receivedAt: string;
  diagnostics: CallDiagnostics;
}

export class DiagnosticsLog {
  private readonly entries: DiagnosticsEntry[] = [];
  // Insertion-ordered: the first key is the oldest.
  private readonly reported = new Set<string>();

  constructor(
    private readonly logger: Logger,
    private readonly keep = 200,
  ) {}

  // false when refused (a second report for the call, or too large).
  record(callId: string, diagnostics: CallDiagnostics): boolean {
    if (this.reported.has(callId)) {
      countRefused('signaling', REFUSED.repeated);
      return false;
    }
    if (Buffer.byteLength(JSON.stringify(diagnostics)) > MAX_DIAGNOSTICS_BYTES) {
      countRefused('signaling', REFUSED.tooLarge);
      return false;
    }
    this.reported.add(callId);
    if (this.reported.size > REMEMBERED_CALLS) this.reported.delete(this.reported.values().next().value!);
    reports.inc({ candidate_type: diagnostics.selectedCandidateType });
    this.entries.push({ callId, receivedAt: new Date().toISOString(), diagnostics });
    if (this.entries.length > this.keep) this.entries.shift();
    this.logger.info({ callId, diagnostics }, 'call diagnostics');
    return true;
  }

  forCall(callId: string): DiagnosticsEntry[] {
    return this.entries.filter((entry) => entry.callId === callId);
  }

  recent(): readonly DiagnosticsEntry[] {
    return this.entries;
  }
}
