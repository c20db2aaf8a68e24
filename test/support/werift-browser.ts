// A werift RTCPeerConnection playing the browser: Opus (or PCMU only, for a PBX without Opus),
// explicit ICE servers (never empty: werift would otherwise ask a public STUN server), speech sent
// as paced RTP, and the audio that comes back decoded with libopus (@discordjs/opus) or alawmulaw,
// both independent of Parley's codecs.
import { OpusEncoder } from '@discordjs/opus';
import alawmulaw from 'alawmulaw';
import { rmsDbfs } from './signal-metrics.js';
import { MediaStreamTrack, RTCPeerConnection, RTCRtpCodecParameters, RtpHeader, RtpPacket, type RTCIceServer } from 'werift';

const codecs = {
  opus: { parameters: { mimeType: 'audio/opus', clockRate: 48000, channels: 2, payloadType: 111 }, rateHz: 48000 },
  PCMU: { parameters: { mimeType: 'audio/PCMU', clockRate: 8000, channels: 1, payloadType: 0 }, rateHz: 8000 },
} as const;

export class WeriftBrowser {
  // Decoded audio received, mono at `rateHz` (48 kHz for Opus), one array per 20 ms packet.
  readonly received: Int16Array[] = [];
  readonly candidateTypes = new Set<string>();
  private readonly codec = new OpusEncoder(48000, 1);
  private readonly track = new MediaStreamTrack({ kind: 'audio' });
  readonly pc: RTCPeerConnection;

  readonly rateHz: number;
  private readonly frameSamples: number;
  private sequence = 100;
  private timestamp = 12_345;
  private lastSentMs: number | undefined;

  constructor(iceServers: RTCIceServer[], iceTransportPolicy: 'all' | 'relay' = 'all', private readonly codecName: keyof typeof codecs = 'opus') {
    if (iceServers.length === 0) throw new Error('werift needs explicit ICE servers in tests');
    this.rateHz = codecs[codecName].rateHz;
    this.frameSamples = this.rateHz / 50;
    this.pc = new RTCPeerConnection({
      iceServers,
      iceTransportPolicy,
      iceUseIpv6: false,
      codecs: { audio: [new RTCRtpCodecParameters({ ...codecs[codecName].parameters })] },
    });
    const transceiver = this.pc.addTransceiver(this.track, { direction: 'sendrecv' });
    transceiver.onTrack.subscribe((remote) => {
      remote.onReceiveRtp.subscribe((rtp) => {
        if (rtp.payload.length === 0) return;
        this.received.push(codecName === 'PCMU' ? alawmulaw.mulaw.decode(rtp.payload) : new Int16Array(new Uint8Array(this.codec.decode(rtp.payload)).buffer));
      });
    });
  }

  // The complete offer, after gathering (the button sends it the same way).
  async offer(): Promise<string> {
    await this.pc.setLocalDescription(await this.pc.createOffer());
    if (this.pc.iceGatheringState !== 'complete') {
      await new Promise<void>((resolve) => {
        const { unSubscribe } = this.pc.iceGatheringStateChange.subscribe((state) => {
          if (state === 'complete') {
            unSubscribe();
            resolve();
          }
        });
      });
    }
    const sdp = this.pc.localDescription!.sdp;
    for (const match of sdp.matchAll(/a=candidate:\S+ \d+ \S+ \d+ \S+ \d+ typ (\w+)/g)) this.candidateTypes.add(match[1]!);
    return sdp;
  }

  async answer(sdp: string): Promise<void> {
    await this.pc.setRemoteDescription({ type: 'answer', sdp });
  }

  // Sends `pcm` (mono at `rateHz`) as 20 ms packets, paced on a 20 ms schedule.
  async send(pcm: Int16Array): Promise<void> {
    const start = performance.now();
    // A later talkspurt goes on from the last one: sequence numbers continue, and the timestamp
    // moves on by the pause (RFC 3550 section 5.1), or the far end drops it as old.
    if (this.lastSentMs !== undefined) this.timestamp = (this.timestamp + Math.round(((start - this.lastSentMs) * this.rateHz) / 1000)) >>> 0;
    const frameSamples = this.frameSamples;
    const { payloadType } = codecs[this.codecName].parameters;
    for (let i = 0; (i + 1) * frameSamples <= pcm.length; i++) {
      const due = start + i * 20;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const frame = pcm.subarray(i * frameSamples, (i + 1) * frameSamples);
      const payload = this.codecName === 'PCMU' ? Buffer.from(alawmulaw.mulaw.encode(frame)) : this.codec.encode(Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength));
      this.track.writeRtp(new RtpPacket(new RtpHeader({ version: 2, payloadType, sequenceNumber: this.sequence++ & 0xffff, timestamp: this.timestamp, ssrc: 0x4242, marker: i === 0 }), payload));
      this.timestamp = (this.timestamp + frameSamples) >>> 0;
      this.lastSentMs = due + 20;
    }
  }

  // 20 ms frames received whose level is above `thresholdDbfs`.
  loudFrames(thresholdDbfs: number): number {
    return this.received.filter((frame) => rmsDbfs(frame) > thresholdDbfs).length;
  }

  async close(): Promise<void> {
    await this.pc.close();
  }
}
