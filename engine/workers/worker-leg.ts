// A call's media leg that runs in a media worker, as the control plane holds it: every knob is a
// message down the worker's channel; the media, the native session and the bot connection are in
// the worker. When the worker dies, the leg ends with MEDIA_WORKER_FAILED.
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type { BotSession, CallInfo } from '../call/call.js';
import type { NetworkCodec } from '../call/call-media.js';
import type { MediaLeg, MediaLegEvents } from '../call/media-leg.js';
import type { SrtpKeys } from '../media/media-session.js';
import type { RtpSessionOptions } from '../media/media-session-options.js';
import type { NativeSessionStats } from '../media/media-engine-binding.js';
import type { MediaWorker } from './media-worker.js';

// The end reason of every call whose media worker died (SIGSEGV, abort, SIGKILL, OOM).
export const MEDIA_WORKER_FAILED = 'media_worker_failed';

export class WorkerLeg extends EventEmitter<MediaLegEvents> implements MediaLeg {
  readonly placement: string;
  private closing: Promise<NativeSessionStats | undefined> | undefined;
  private finalStats: NativeSessionStats | undefined;
  private liveStats: NativeSessionStats | undefined;
  private dtmfSender: ((digits: string) => void) | undefined;
  endedWith: string | undefined;

  constructor(
    readonly callId: string,
    readonly localPort: number | undefined,
    private readonly worker: MediaWorker,
  ) {
    super();
    this.placement = `worker-${worker.index}`;
  }

  setPaused(paused: boolean): void {
    this.worker.post({ type: 'setPaused', callId: this.callId, paused });
  }

  setRemote(host: string, port: number): void {
    this.worker.post({ type: 'setRemote', callId: this.callId, host, port, redirect: false });
  }

  redirect(host: string, port: number): void {
    this.worker.post({ type: 'setRemote', callId: this.callId, host, port, redirect: true });
  }

  rekeyRemote(profile: string, remoteKey: Uint8Array): void {
    this.worker.post({ type: 'rekeyRemote', callId: this.callId, profile, remoteKey });
  }

  setSrtp(srtp: SrtpKeys | undefined): void {
    this.worker.post({ type: 'setSrtp', callId: this.callId, srtp });
  }

  async changeCodec(codec: NetworkCodec, payloadType: number, newLeg?: RtpSessionOptions): Promise<boolean> {
    return (await this.worker.request({ type: 'changeCodec', callId: this.callId, codec, payloadType, newLeg })) === true;
  }

  async connectTransport(params: Record<string, unknown>, socket?: Socket): Promise<void> {
    await this.worker.request({ type: 'connectTransport', callId: this.callId, params }, socket);
  }

  receiveDtmf(digit: string, durationMs: number): void {
    this.worker.post({ type: 'receiveDtmf', callId: this.callId, digit, durationMs });
  }

  sendDtmfThrough(send: (digits: string) => void): void {
    this.dtmfSender = send;
    this.worker.post({ type: 'dtmfThrough', callId: this.callId });
  }

  attachBot(info: CallInfo): BotSession {
    this.worker.post({ type: 'attachBot', callId: this.callId, info });
    return { stop: (reason) => this.worker.post({ type: 'stopBot', callId: this.callId, reason }) };
  }

  close(reason: string): Promise<NativeSessionStats | undefined> {
    this.closing ??= this.worker.request({ type: 'close', callId: this.callId, reason }).then(
      (stats) => (this.finalStats = stats as NativeSessionStats | undefined),
      // The worker died with the call: its counts went with it.
      () => undefined,
    ).finally(() => this.worker.legs.delete(this.callId));
    this.markEnded(reason);
    return this.closing;
  }

  // The final counts once closed; before, the worker's last report of them (at most ~5 s old:
  // leg-stats-rotation.ts).
  stats(): NativeSessionStats | undefined {
    return this.finalStats ?? this.liveStats;
  }

  async roundTrip(): Promise<void> {
    await this.worker.request({ type: 'ping' }).catch(() => undefined);
  }

  /** @internal the worker's periodic report of this leg's counts. */
  reported(stats: NativeSessionStats): void {
    this.liveStats = stats;
  }

  /** @internal the worker's session ended on its side (the bot hung up). */
  endedInWorker(reason: string): void {
    this.markEnded(reason);
  }

  /** @internal the bot sent DTMF that goes through the control plane. */
  dtmfFromBot(digits: string): void {
    this.dtmfSender?.(digits);
  }

  /** @internal the worker died. */
  workerFailed(): void {
    this.worker.legs.delete(this.callId);
    this.markEnded(MEDIA_WORKER_FAILED);
  }

  private markEnded(reason: string): void {
    if (this.endedWith !== undefined) return;
    this.endedWith = reason;
    this.emit('ended', reason);
  }
}
