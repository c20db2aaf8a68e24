import { describe, expect, it } from 'vitest';
import { freeTcpPort } from '../../support/free-port.js';
import { callOutcomes, until } from '../../support/asterisk/parley-pbx.js';
import { expectNothingLeft, realAsteriskPerFile } from '../../support/asterisk/real-pbx.js';
import { checkTransport } from './transport-check.js';

describe('real Asterisk: ExternalMedia chan_websocket slin16, client mode (Asterisk dials Parley)', () => {
  const env = realAsteriskPerFile();

  it('carries a tone and speech both ways and leaves nothing behind', async () => {
    const measure = await checkTransport(
      env,
      { transport: 'websocket', websocket: { connectionType: 'client', clientName: 'parley-media', listenPort: env.mediaWebSocketPort } },
      'websocket/client');
    expect(measure.toBotToneSnrDb).toBeGreaterThan(25);
    expect(measure.toCallerToneSnrDb).toBeGreaterThan(25);
    expect(measure.toBotSpeech).toBeGreaterThan(0.8);
    expect(measure.toCallerSpeech).toBeGreaterThan(0.8);
  });

  it('fails a call as soon as Asterisk reports that it could not dial Parley (ChannelDestroyed), not after the request timeout', async () => {
    // Parley listens elsewhere than websocket_client.conf points: Asterisk's dial (reconnect_attempts
    // = 2 tries in all, 500 ms apart) is refused, and it destroys the ExternalMedia channel.
    const elsewhere = await freeTcpPort();
    await env.parley({ config: { transport: 'websocket', websocket: { connectionType: 'client', clientName: 'parley-media', listenPort: elsewhere }, requestTimeoutMs: 60_000 } });
    const before = await callOutcomes();
    await env.dial();
    // Within the wait's 20 s, against the 60 s the socket wait alone would take.
    await until(async () => ((await callOutcomes()).setup_failed ?? 0) > (before.setup_failed ?? 0), 'the call’s setup to fail');
    expect((await callOutcomes()).started ?? 0).toBe(before.started ?? 0);
    await expectNothingLeft(env.asterisk);
  });
});
