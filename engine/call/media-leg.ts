// A call's media leg as the control plane sees it: the knobs signaling turns (remote address,
// hold, re-keying, codec switch, DTMF that arrived over signaling), the bot attached to it, and its
// end. The media itself and the bot's audio stay where the leg runs: in this process (InlineLeg)
// or in a media worker (engine/workers/worker-leg.ts); neither crosses to the control plane.
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type { NativeSessionStats } from '../media/media-engine-binding.js';
import type { MediaSession, SrtpKeys } from '../media/media-session.js';
import type { RtpSessionOptions } from '../media/media-session-options.js';
import type { NetworkCodec } from './call-media.js';
import type { BotSession, BotStarter, CallInfo } from './call.js';
import type { CreatedLeg } from './leg-kind.js';

export interface MediaLegEvents {
  // The media ended on its own side (the bot hung up, a worker died): the call ends with `reason`.
  ended: [reason: string];
}

export interface MediaLeg extends EventEmitter<MediaLegEvents> {
  readonly callId: string;
  // The local RTP port peers send to (RTP legs on Parley's own sockets only).
  readonly localPort: number | undefined;
  // Where the leg runs, for logs and the admin view: 'inline' or 'worker-<index>'.
  readonly placement: string;
  setPaused(paused: boolean): void;
  setRemote(host: string, port: number): void;
  redirect(host: string, port: number): void;
  rekeyRemote(profile: string, remoteKey: Uint8Array): void;
  // SDES-SRTP turned on, off or to another suite by a re-offer: fresh contexts both ways.
  setSrtp(srtp: SrtpKeys | undefined): void;
  // A re-offer changed the codec or its payload type. In place (`newLeg` undefined) only between
  // codecs of one clock and frame size; otherwise a new RTP leg built from `newLeg` takes over the
  // call's sockets. false when the leg cannot follow (nothing has changed then).
  changeCodec(codec: NetworkCodec, payloadType: number, newLeg?: RtpSessionOptions): Promise<boolean>;
  // Connects a leg whose transport comes after it (chan_websocket, AudioSocket): an address to
  // dial, or a TCP socket this process accepted, handed to where the leg runs.
  connectTransport(params: Record<string, unknown>, socket?: Socket): Promise<void>;
  // DTMF the caller sent that reached Parley over signaling (ARI), handed to the bot as if in-band.
  receiveDtmf(digit: string, durationMs: number): void;
  // The bot's DTMF goes this way instead of in-band (PBX mode: Asterisk plays it on the caller).
  sendDtmfThrough(send: (digits: string) => void): void;
  attachBot(info: CallInfo): BotSession;
  // Ends the media; settles with its final counts (undefined when they died with a worker).
  close(reason: string): Promise<NativeSessionStats | undefined>;
  // The latest counts known here (live for an inline leg, the last report for a worker's).
  stats(): NativeSessionStats | undefined;
  // Set once the leg has ended (a worker may die between a leg's creation and its call's start).
  readonly endedWith: string | undefined;
  // Settles once where the leg runs has answered (at once inline): a media worker that died
  // meanwhile has ended the leg (media_worker_failed) by then.
  roundTrip(): Promise<void>;
}

// What a leg kind's factory gave beyond the session (leg-kind.ts).
export type LegTransport = Pick<CreatedLeg, 'transportEnded' | 'release' | 'connect'>;

// A leg on this process's own media engine: every leg when media workers are off, and the werift
// edge's when it runs in this process.
export class InlineLeg extends EventEmitter<MediaLegEvents> implements MediaLeg {
  readonly placement = 'inline';
  endedWith: string | undefined;
  private closing: Promise<NativeSessionStats | undefined> | undefined;

  constructor(
    readonly session: MediaSession,
    private readonly startBot: BotStarter,
    readonly localPort: number | undefined = undefined,
    private readonly transport: LegTransport = {},
  ) {
    super();
    const ended = (reason: string): void => {
      if (this.endedWith !== undefined) return;
      this.endedWith = reason;
      this.emit('ended', reason);
    };
    session.once('ended', ended);
    void transport.transportEnded?.then(ended);
  }

  get callId(): string {
    return this.session.callId;
  }

  setPaused(paused: boolean): void {
    this.session.setPaused(paused);
  }

  setRemote(host: string, port: number): void {
    this.session.setRemote(host, port);
  }

  redirect(host: string, port: number): void {
    this.session.redirect(host, port);
  }

  rekeyRemote(profile: string, remoteKey: Uint8Array): void {
    this.session.rekeyRemote(profile, remoteKey);
  }

  setSrtp(srtp: SrtpKeys | undefined): void {
    this.session.setSrtp(srtp);
  }

  changeCodec(codec: NetworkCodec, payloadType: number, newLeg?: RtpSessionOptions): Promise<boolean> {
    return Promise.resolve(changeSessionCodec(this.session, codec, payloadType, newLeg));
  }

  async connectTransport(params: Record<string, unknown>, socket?: Socket): Promise<void> {
    if (!this.transport.connect) {
      socket?.destroy();
      throw new TypeError(`the leg of ${this.callId} has no transport to connect`);
    }
    await this.transport.connect(params, socket);
  }

  receiveDtmf(digit: string, durationMs: number): void {
    this.session.emit('dtmf', digit, durationMs);
  }

  sendDtmfThrough(send: (digits: string) => void): void {
    this.session.sendDtmfThrough(send);
  }

  attachBot(info: CallInfo): BotSession {
    return this.startBot(this.session, info);
  }

  // Settles once what the transport holds is let go (a chan_websocket link drains first).
  close(reason: string): Promise<NativeSessionStats | undefined> {
    this.closing ??= (async () => {
      this.session.close(reason);
      const stats = this.session.stats();
      await this.transport.release?.(reason);
      return stats;
    })();
    return this.closing;
  }

  stats(): NativeSessionStats | undefined {
    return this.session.stats();
  }

  roundTrip(): Promise<void> {
    return Promise.resolve();
  }
}

// The one place a leg's codec changes, inline or in a media worker: a leg the session refuses to
// build (the options checked there) leaves the call as it was.
export function changeSessionCodec(session: MediaSession, codec: NetworkCodec, payloadType: number, newLeg: RtpSessionOptions | undefined): boolean {
  if (newLeg === undefined) return session.switchCodec(codec, payloadType);
  try {
    session.replaceLeg(newLeg, codec);
    return true;
  } catch {
    return false;
  }
}
