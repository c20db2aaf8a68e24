// A phone on a real UDP socket that sends the node's own audio back to it, as a speakerphone or a
// line hybrid does: every PCMU packet it receives is decoded, and each one is answered with a
// packet of what its microphone picks up — a faint line hiss, the audio it played `delayMs` ago
// through a small room at `gainDb`, and, from a chosen packet on, the caller's own speech — coded
// μ-law again on the way back. Pacing follows the node's packets (one answer per packet, 20 ms).
import alawmulaw from 'alawmulaw';
import type { RtpPacket } from 'werift';
import { gaussianNoise, roomResponse } from './echo-path.js';
import { RtpPeer } from './rtp-peer.js';

const RATE_HZ = 8000;
const FRAME = 160;

export interface EchoPhoneOptions {
  delayMs: number;
  gainDb: number;
  // The caller's speech (8 kHz), mixed in from packet `speechFromPacket` on.
  speech?: Int16Array;
  speechFromPacket?: number;
  hissRms?: number;
}

export class EchoPhone {
  // Per answered packet: energy of the echo and of the caller's speech put in it.
  readonly echoEnergy: number[] = [];
  readonly speechEnergy: number[] = [];
  // The node's audio as the phone played it (decoded), one frame per packet.
  readonly played: Int16Array[] = [];
  private readonly history: Float64Array;
  private readonly response: Float64Array;
  private readonly hiss: Float64Array;
  private seq = 7000;
  private timestamp = 90_000;

  private constructor(
    private readonly peer: RtpPeer,
    private readonly options: EchoPhoneOptions,
  ) {
    this.response = roomResponse(RATE_HZ, 60, 11);
    const gain = 10 ** (options.gainDb / 20);
    for (let i = 0; i < this.response.length; i++) this.response[i]! *= gain;
    this.history = new Float64Array(((options.delayMs + 100) * RATE_HZ) / 1000 + this.response.length + FRAME);
    this.hiss = gaussianNoise(RATE_HZ * 600, options.hissRms ?? 8, 12);
  }

  static async open(options: EchoPhoneOptions): Promise<EchoPhone> {
    return new EchoPhone(await RtpPeer.open(), options);
  }

  // Answers every packet from the node at `nodePort`; the first answer latches the node on us.
  dial(nodePort: number): void {
    this.peer.onPacket = (packet) => this.answer(packet, nodePort);
    this.answer(null, nodePort);
  }

  close(): void {
    this.peer.close();
  }

  private answer(packet: RtpPacket | null, nodePort: number): void {
    const played = packet ? alawmulaw.mulaw.decode(packet.payload) : new Int16Array(FRAME);
    if (packet) this.played.push(played);
    // The played audio enters the history; the microphone hears it delayMs later, through the room.
    this.history.copyWithin(0, FRAME);
    this.history.set(played, this.history.length - FRAME);
    const delay = (this.options.delayMs * RATE_HZ) / 1000;
    const n = this.echoEnergy.length;
    const out = new Int16Array(FRAME);
    let echoEnergy = 0;
    let speechEnergy = 0;
    const speechAt = (n - (this.options.speechFromPacket ?? Infinity)) * FRAME;
    for (let i = 0; i < FRAME; i++) {
      const now = this.history.length - FRAME + i - delay;
      let echo = 0;
      for (let k = 0; k < this.response.length; k++) echo += this.response[k]! * this.history[now - k]!;
      const speech = this.options.speech && speechAt >= 0 ? (this.options.speech[speechAt + i] ?? 0) : 0;
      echoEnergy += echo * echo;
      speechEnergy += speech * speech;
      out[i] = Math.max(-32768, Math.min(32767, Math.round(echo + speech + this.hiss[(n * FRAME + i) % this.hiss.length]!)));
    }
    this.echoEnergy.push(echoEnergy);
    this.speechEnergy.push(speechEnergy);
    this.peer.send({ payloadType: 0, ssrc: 0x5eed, sequenceNumber: this.seq++ & 0xffff, timestamp: this.timestamp >>> 0, marker: n === 0 }, alawmulaw.mulaw.encode(out), nodePort);
    this.timestamp += FRAME;
  }
}
