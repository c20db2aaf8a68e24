import { describe, expect, it } from 'vitest';
import { renderSpeech } from '../../support/speech.js';
import { BOT_TEXT, harnessPerTest, twoWayCall } from './asterisk-harness.js';

describe('ExternalMedia RTP formats', () => {
  const harnesses = harnessPerTest();

  it.each([
    ['alaw', 8],
    ['slin', 10],
  ] as const)('carries %s both ways with payload type %i', async (format, payloadType) => {
    const harness = await harnesses.start({ config: { format }, botSays: renderSpeech(BOT_TEXT, { rateHz: 16000 }) });
    const result = await twoWayCall(harness, 8000);
    expect(harness.ari.requests.find((r) => r.nickname === 'channels.externalMedia')!.query.format).toBe(format);
    const endpoint = [...harness.ari.rtpEndpoints.values()][0]!;
    expect(endpoint.wrongPayloadType).toBe(0);
    expect(endpoint.received[0]!.payloadType).toBe(payloadType);
    expect(result.toBot).toBeGreaterThan(0.9);
    expect(result.toCaller).toBeGreaterThan(0.9);
  });
});
