// Connection diagnostics the button reports at the end of a call, kept for the operator view and
// counted by selected candidate type (why calls fail: no relay, all host, high loss...).
import type { Logger } from 'pino';
import { counter } from '../../engine/metrics.js';
import type { CallDiagnostics } from './signal-messages.js';

const reports = counter('parley_call_diagnostics_total', 'Diagnostics reports from browsers, by selected candidate type', ['candidate_type']);

export interface DiagnosticsEntry {
  callId: string;
  receivedAt: string;
  diagnostics: CallDiagnostics;
}

export class DiagnosticsLog {
  private readonly entries: DiagnosticsEntry[] = [];

  constructor(
    private readonly logger: Logger,
    private readonly keep = 200,
  ) {}

  record(callId: string, diagnostics: CallDiagnostics): void {
    reports.inc({ candidate_type: diagnostics.selectedCandidateType });
    this.entries.push({ callId, receivedAt: new Date().toISOString(), diagnostics });
    if (this.entries.length > this.keep) this.entries.shift();
    this.logger.info({ callId, diagnostics }, 'call diagnostics');
  }

  forCall(callId: string): DiagnosticsEntry[] {
    return this.entries.filter((entry) => entry.callId === callId);
  }

  recent(): readonly DiagnosticsEntry[] {
    return this.entries;
  }
}
