// A SIP phone for tests against the real Asterisk: one UDP SIP socket (the hand-built requests of
// test/support/sip-client.ts) and one RTP socket (werift's RTP classes, via rtp-peer.ts) on
// 127.0.0.1, offering PCMU. It sends audio paced at 20 ms the way a phone does — pauses send
// nothing, and the next packet carries the marker bit and a timestamp that moved on by the pause
// (RFC 3551 section 4.1) — and keeps every packet Asterisk sends back, decoded, for assertions.
//
//   const caller = await SipCaller.dial(asterisk.sipPort, '7000');
//   await caller.say(pcm8k); await caller.pause(150); await caller.say(pcm8k);
//   caller.heard();           // what the caller received (8 kHz PCM, in arrival order)
//   await caller.hangUp();    // or: await caller.remoteHangup (Asterisk sent BYE)
import alawmulaw from 'alawmulaw';
import { parse as parseSdp } from 'sdp-transform';
import { RtpPeer } from '../rtp-peer.js';
import { offerSdp, SipTestClient, toTagOf, type Dialog } from '../sip-client.js';

const FRAME_SAMPLES = 160; // 20 ms at 8 kHz
const PCMU = 0;
const ANSWER_TIMEOUT_MS = 15_000;

export class SipCallFailedError extends Error {}

export class SipCaller {
  // Resolves when Asterisk hangs the call up (its BYE, answered with 200 OK).
  readonly remoteHangup: Promise<void>;
  private cseq = 1;
  private timestamp = 0;
  private sequence = 0;
  private marker = true;
  private ended = false;
  private readonly ssrc = Math.floor(Math.random() * 0xffffffff) >>> 0;

  private constructor(
    private readonly sip: SipTestClient,
    private readonly rtp: RtpPeer,
    private readonly dialog: Dialog,
    private readonly remoteRtpPort: number,
  ) {
    this.remoteHangup = sip.waitForRequest(dialog.callId, 'BYE').then((bye) => {
      this.ended = true;
      sip.answer(bye);
    });
  }

  // INVITE sip:<exten>@127.0.0.1:<sipPort>, waits for the 200 OK and ACKs it.
  static async dial(sipPort: number, exten: string): Promise<SipCaller> {
    const sip = await SipTestClient.open({ address: '127.0.0.1', port: sipPort });
    const rtp = await RtpPeer.open();
    const dialog = sip.newDialog(exten);
    try {
      const final = sip.waitForResponse(dialog.callId, 'INVITE', (status) => status >= 200);
      sip.invite(dialog, offerSdp({ port: rtp.port, payloads: '0 101' }));
      const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new SipCallFailedError(`no final answer to INVITE ${exten} within ${ANSWER_TIMEOUT_MS} ms`)), ANSWER_TIMEOUT_MS).unref());
      const response = await Promise.race([final, timeout]);
      dialog.toTag = toTagOf(response);
      sip.ack(dialog, response.status < 300);
      if (response.status >= 300) throw new SipCallFailedError(`INVITE ${exten} answered ${response.status}`);
      const media = parseSdp(response.body).media.find((m) => m.type === 'audio');
      if (media === undefined || media.port === 0) throw new SipCallFailedError('200 OK without an audio stream');
      return new SipCaller(sip, rtp, dialog, media.port);
    } catch (error) {
      sip.close();
      rtp.close();
      throw error;
    }
  }

  get callId(): string {
    return this.dialog.callId;
  }

  get hungUp(): boolean {
    return this.ended;
  }

  get packetsReceived(): number {
    return this.rtp.received.filter(({ packet }) => packet.header.payloadType === PCMU).length;
  }

  // Sends `pcm8k` as 20 ms PCMU packets at real time (a short last frame is padded with silence).
  async say(pcm8k: Int16Array): Promise<void> {
    const start = performance.now();
    for (let offset = 0, i = 0; offset < pcm8k.length && !this.ended; offset += FRAME_SAMPLES, i++) {
      const wait = start + i * 20 - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      if (this.ended) break;
      const frame = new Int16Array(FRAME_SAMPLES);
      frame.set(pcm8k.subarray(offset, offset + FRAME_SAMPLES));
      this.rtp.send(
        { payloadType: PCMU, ssrc: this.ssrc, sequenceNumber: this.sequence++ & 0xffff, timestamp: this.timestamp >>> 0, marker: this.marker },
        alawmulaw.mulaw.encode(frame),
        this.remoteRtpPort,
      );
      this.marker = false;
      this.timestamp += FRAME_SAMPLES;
    }
    // The last frame's 20 ms are on the wire once this resolves.
    await new Promise((resolve) => setTimeout(resolve, 20));
  }

  // Sends nothing for `ms` (the RTP clock runs on; the next packet starts a talkspurt).
  async pause(ms: number): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    this.timestamp += (ms * 8000) / 1000;
    this.marker = true;
  }

  // Everything Asterisk sent, decoded, in arrival order.
  heard(): Int16Array {
    const parts = this.rtp.received.filter(({ packet }) => packet.header.payloadType === PCMU).map(({ packet }) => alawmulaw.mulaw.decode(packet.payload));
    const out = new Int16Array(parts.reduce((sum, part) => sum + part.length, 0));
    let offset = 0;
    for (const part of parts) {
      out.set(part, offset);
      offset += part.length;
    }
    return out;
  }

  // Resolves once `count` PCMU packets have arrived from Asterisk.
  async packets(count: number): Promise<void> {
    while (this.packetsReceived < count) await this.rtp.waitFor(this.rtp.received.length + 1);
  }

  // BYE, and waits for its final response (200 OK; 481 from an Asterisk that restarted meanwhile)
  // for at most ANSWER_TIMEOUT_MS.
  async hangUp(): Promise<number> {
    if (this.ended) return 0;
    this.ended = true;
    this.dialog.branch = `z9hG4bK${Math.random().toString(16).slice(2)}`;
    const final = this.sip.waitForResponse(this.dialog.callId, 'BYE', (status) => status >= 200);
    this.sip.sendRaw(this.sip.request('BYE', this.dialog, ++this.cseq));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new SipCallFailedError(`no answer to BYE within ${ANSWER_TIMEOUT_MS} ms`)), ANSWER_TIMEOUT_MS)));
    try {
      return (await Promise.race([final, timeout])).status;
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    this.ended = true;
    this.sip.close();
    this.rtp.close();
  }
}
