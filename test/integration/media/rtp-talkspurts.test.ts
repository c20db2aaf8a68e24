// An Asterisk-style caller over real UDP on 127.0.0.1, paced in real time: phrases separated by
// 100-300 ms pauses after which the timestamps restart from the wall clock with the marker bit
// set, short last frames, two files back to back. The bot must hear every phrase, whole and in
// order, and the jitter buffer must count nothing lost.
import alawmulaw from 'alawmulaw';
import { afterEach, describe, expect, it } from 'vitest';
import { MediaEngine } from '../../../engine/media/media-engine.js';
import { expectHeardInOrder } from '../../support/heard-in-order.js';
import { RtpPeer } from '../../support/rtp-peer.js';
import { until } from '../../support/session-until.js';
import { renderSpeech } from '../../support/speech.js';
import { talkspurtStream, type StreamPacket, type Talkspurt } from '../../support/talkspurt-stream.js';

// Sends each packet at its time on the sender's clock (the traffic's shape, not a synchronisation).
async function sendPaced(peer: RtpPeer, packets: StreamPacket[], port: number): Promise<void> {
  const start = performance.now();
  for (const packet of packets) {
    const wait = start + packet.sendUs / 1000 - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    peer.send({ payloadType: 0, ssrc: 0x5ca1ab1e, sequenceNumber: packet.seq, timestamp: packet.timestamp, marker: packet.marker }, packet.payload, port);
  }
}

describe('Asterisk-style RTP over real UDP', () => {
  let engine: MediaEngine | undefined;
  let peer: RtpPeer | undefined;
  afterEach(() => {
    engine?.stop();
    peer?.close();
  });

  it('hears every phrase after wall-clock timestamp restarts, short last frames and back-to-back files, none lost', async () => {
    engine = new MediaEngine();
    peer = await RtpPeer.open();
    // A buffer floor of 200 ms: the sender is a Node timer on a shared, loaded machine, and a late
    // packet (a stall longer than the buffer) would be a loss this test is not about.
    const { session, localPort } = engine.createRtpSession('asterisk-style', { codec: 'PCMU', botRateHz: 8000, bargeIn: false, jitterMinDelayMs: 200 });
    const heard: Int16Array[] = [];
    session.on('audio', (pcm) => heard.push(pcm.slice()));
    const speech = (text: string): Int16Array => renderSpeech(text, { rateHz: 8000 });
    const short = (pcm: Int16Array): Int16Array => pcm.subarray(0, Math.floor(pcm.length / 160 - 1) * 160 + 12);
    const talkspurts: Talkspurt[] = [
      { pcm: speech('One table, please.'), pauseAfterMs: 100 },
      { pcm: speech('For two people.'), pauseAfterMs: 140 },
      { pcm: speech('At eight.'), pauseAfterMs: 300 },
      { pcm: short(speech('Thank you for calling.')), pauseAfterMs: 0 },
      { pcm: short(speech('Goodbye.')), pauseAfterMs: 0 },
    ];
    const packets = talkspurtStream(talkspurts, { samplesPerPacket: 160, clockRateHz: 8000, encode: (pcm) => alawmulaw.mulaw.encode(pcm), restart: 'wallclock', firstSeq: 65_500 });
    await sendPaced(peer, packets, localPort!);
    const received = await until(session, (s) => s.packetsReceived === packets.length);
    const framesThen = received.frames ?? 0;
    // Half a second more: past any buffer delay, so the last phrase has played out.
    const stats = await until(session, (s) => (s.frames ?? 0) >= framesThen + 25);
    const { lost, late, discarded } = stats.jitter!;
    expect({ lost, late, discarded }).toEqual({ lost: 0, late: 0, discarded: 0 });
    // Real timers: a pause may come out a few tens of ms longer or shorter.
    expectHeardInOrder(talkspurts, Int16Array.from(heard.flatMap((f) => [...f])), { gapMs: [40, 60] });
  });
});
