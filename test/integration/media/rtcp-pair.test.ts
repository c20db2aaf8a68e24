// An RTP leg with RTCP on its own port (rtcp 'pair', RFC 3550 section 11): the engine reads each
// socket when it has data, RTP on the RTP port and reports on the next one, over real UDP.
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import alawmulaw from 'alawmulaw';
import { RtcpSenderInfo, RtcpSrPacket } from 'werift';
import { afterEach, describe, expect, it } from 'vitest';
import { MediaEngine } from '../../../engine/media/media-engine.js';
import { until } from '../../support/session-until.js';
import { sine } from '../../support/test-signals.js';
import { rtpBytes } from '../../support/trace-player.js';

const PACKETS = 10;
const REPORTS = 3;

describe('RTCP on its own port', () => {
  let engine: MediaEngine | undefined;
  const peer = createSocket('udp4');
  afterEach(() => {
    engine?.stop();
    peer.close();
  });

  it('receives the peer’s RTP on the RTP port and its sender reports on the RTCP port', async () => {
    peer.bind(0, '127.0.0.1');
    await once(peer, 'listening');
    engine = new MediaEngine();
    const { session, localPort } = engine.createRtpSession('rtcp-pair', {
      codec: 'PCMU',
      bargeIn: false,
      rtcp: 'pair',
      remoteHost: '127.0.0.1',
      remotePort: peer.address().port,
    });
    const payload = alawmulaw.mulaw.encode(sine(160, 8000, 440, 8000));
    for (let i = 0; i < PACKETS; i++) peer.send(rtpBytes({ payloadType: 0, ssrc: 0x5eed, sequenceNumber: i, timestamp: i * 160 }, payload), localPort!, '127.0.0.1');
    for (let i = 0; i < REPORTS; i++) {
      const senderInfo = new RtcpSenderInfo({ ntpTimestamp: BigInt(i + 1) << 32n, rtpTimestamp: i * 160, packetCount: PACKETS, octetCount: PACKETS * 160 });
      peer.send(new RtcpSrPacket({ ssrc: 0x5eed, senderInfo, reports: [] }).serialize(), localPort! + 1, '127.0.0.1');
    }
    const stats = await until(session, (s) => (s.packetsReceived ?? 0) >= PACKETS && (s.rtcp?.received ?? 0) >= REPORTS);
    expect(stats.packetsReceived).toBe(PACKETS);
    expect(stats.rtcp!.received).toBe(REPORTS);
    expect(stats.rtcp!.malformed).toBe(0);
  });
});
