// SRTP state per SSRC inside a media session (RFC 3711 section 3.2.3): packets handed over as by
// the WebRTC edge, on a manual clock, so the pauses are exact.
import { afterEach, describe, expect, it } from 'vitest';
import { MediaEngine } from '../../../engine/media/media-engine.js';
import { serializeRtpPacket } from '../../../engine/native/rtp-packet.js';
import { SrtpSession } from '../../../engine/native/srtp.js';

const key = Uint8Array.from({ length: 30 }, (_, i) => 0x40 + i);
const payload = new Uint8Array(160).fill(0xff);

describe('SRTP streams of a media session', () => {
  let engine: MediaEngine | undefined;
  afterEach(() => engine?.stop());

  it('a replayed genuine packet of an old SSRC leaves the live stream decrypting: 1000 of 1000 packets after it', () => {
    engine = new MediaEngine({ clock: 'manual' });
    const profile = 'AES_CM_128_HMAC_SHA1_80';
    const { session } = engine.createRtpSession('srtp-streams', {
      codec: 'PCMU',
      transport: 'external',
      srtp: { profile, localKey: key, remoteKey: key },
    }, { onOutbound: () => {} });
    const sender = new SrtpSession(profile, key.subarray(0, 16), key.subarray(16));
    const packet = (ssrc: number, seq: number): Uint8Array =>
      sender.protectRtp(serializeRtpPacket({ marker: false, payloadType: 0, sequenceNumber: seq & 0xffff, timestamp: (seq * 160) >>> 0, ssrc, csrcs: [] }, payload));
    let nowUs = 1_000_000;
    const send = (bytes: Uint8Array): void => {
      session.ingest(bytes, nowUs);
      nowUs += 20_000;
    };
    // The old stream, then (after a pause that allows an SSRC change) the live one, which wraps
    // its sequence number: its rollover counter is 1 from then on.
    const old = Array.from({ length: 20 }, (_, i) => packet(0xaaaa, 100 + i));
    old.forEach(send);
    nowUs += 500_000;
    let seq = 65_500;
    for (let i = 0; i < 100; i++) send(packet(0xbbbb, seq++));
    // The live stream pauses (DTX, hold) long enough for another SSRC to be considered, and an
    // attacker replays a captured packet of the old SSRC.
    nowUs += 500_000;
    send(old[19]!);
    nowUs += 300_000;
    const before = session.stats();
    for (let i = 0; i < 1000; i++) send(packet(0xbbbb, seq++));
    const after = session.stats();
    expect(after.packetsReceived! - before.packetsReceived!).toBe(1000);
    expect(after.srtpFailed).toBe(1);
    expect(after.ssrcChanges).toBe(1);
  });
});
