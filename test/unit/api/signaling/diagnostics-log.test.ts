// Diagnostics come from any grant holder: one report per call is logged and kept; repeats and
// oversized reports are refused and counted, so 5,000 of them cost one log line.
import { describe, expect, it } from 'vitest';
import { DiagnosticsLog } from '../../../../api/signaling/diagnostics-log.js';
import type { CallDiagnostics } from '../../../../api/signaling/signal-messages.js';
import { registry } from '../../../../engine/metrics.js';
import { recordingLogger } from '../../../support/bot-call.js';

const report: CallDiagnostics = { iceStates: [{ state: 'connected', atMs: 120 }], selectedCandidateType: 'host', packetsLost: 0 };

async function refused(reason: string): Promise<number> {
  return (await registry.getSingleMetric('parley_refused_total')!.get()).values.find((v) => v.labels.surface === 'signaling' && v.labels.reason === reason)?.value ?? 0;
}

describe('DiagnosticsLog', () => {
  it('logs and keeps one report per call: 5,000 more from the same call are refused and counted', async () => {
    const { logger, lines } = recordingLogger();
    const log = new DiagnosticsLog(logger);
    const before = await refused('diagnostics_repeated');
    expect(log.record('call-a', report)).toBe(true);
    for (let i = 0; i < 5000; i++) expect(log.record('call-a', report)).toBe(false);
    expect(lines.filter((line) => line.msg === 'call diagnostics')).toHaveLength(1);
    expect(log.forCall('call-a')).toHaveLength(1);
    expect(await refused('diagnostics_repeated')).toBe(before + 5000);
  });

  it('refuses a report past the size cap without logging it', async () => {
    const { logger, lines } = recordingLogger();
    const log = new DiagnosticsLog(logger);
    const before = await refused('diagnostics_too_large');
    // The schema bounds today's fields to about 6 KB; the cap also holds if a field grows unbounded.
    const huge = { ...report, iceStates: [{ state: 'x'.repeat(10_000), atMs: 1 }] } as CallDiagnostics;
    expect(log.record('call-b', huge)).toBe(false);
    expect(lines).toHaveLength(0);
    expect(await refused('diagnostics_too_large')).toBe(before + 1);
  });

  it('keeps the operator view bounded across many calls', () => {
    const { logger } = recordingLogger();
    const log = new DiagnosticsLog(logger, 200);
    for (let i = 0; i < 1000; i++) log.record(`call-${i}`, report);
    expect(log.recent()).toHaveLength(200);
    expect(log.recent()[0]!.callId).toBe('call-800');
  });
});
