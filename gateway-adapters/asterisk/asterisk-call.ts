// One Asterisk call taken over by Parley: answer the caller, create the media leg (placed by the
// call service: a media worker by default), a mixing bridge and the ExternalMedia channel, point
// the leg at UNICASTRTP_LOCAL_ADDRESS/PORT (or connect its chan_websocket or AudioSocket link,
// where the leg runs), bridge both channels, start the bot. Every step that created
// something pushes its undo; a failure (or the caller leaving mid-setup) runs the undos in reverse,
// so no bridge or channel is left behind. Teardown after a live call goes through the same list.
import type { Logger } from 'pino';
import type { Call } from '../../engine/call/call.js';
import type { CallSlot } from '../../engine/call/call-cap.js';
import type { CallService } from '../../engine/call/call-service.js';
import type { MediaLeg } from '../../engine/call/media-leg.js';
import type { SessionOptions } from '../../engine/media/media-session-options.js';
import { ariRequest, type AriChannelJson, type AriClientLike } from './ari-api.js';
import type { AsteriskConfig, ExternalMediaRtpFormat } from './asterisk-config.js';
import { asteriskMetrics } from './asterisk-metrics.js';
import { ASTERISK_PCM_LEG, type AsteriskConnect } from './asterisk-pcm-leg.js';
import { bridgeIdOf, mediaChannelIdOf } from './call-names.js';
import { AriRequestError, SetupAbortedError } from './errors.js';
import type { AcceptedAudioSocket } from './audiosocket-server.js';
import { CALL_QUERY_PARAM, type AcceptedUpgrade } from './media-websocket-listener.js';

// Asterisk format -> Parley codec and the static payload type chan_rtp uses for it (RFC 3551
// table 4; Asterisk maps slin to PT 10 first, and accepts 10 and 11 back).
const rtpFormats: Record<ExternalMediaRtpFormat, { codec: string; payloadType: number }> = {
  ulaw: { codec: 'PCMU', payloadType: 0 },
  alaw: { codec: 'PCMA', payloadType: 8 },
  g722: { codec: 'G722', payloadType: 9 },
  slin: { codec: 'L16/8000', payloadType: 10 },
};

export interface AsteriskCallContext {
  ari: AriClientLike;
  config: AsteriskConfig;
  mediaHost: string;
  externalHost: string;
  session: SessionOptions;
  // Places the RTP leg (on a media worker by default) and owns the call once bridged.
  calls: CallService;
  logger: Logger;
  // Server-mode chan_websocket: the URL the leg dials (Asterisk's HTTP server + /media/<id>).
  mediaWebSocketUrl: (connectionId: string) => string;
  // Client mode: registers the call id Asterisk's upgrade request will carry.
  expectMediaUpgrade: (callId: string) => { accepted: Promise<AcceptedUpgrade>; cancel: () => void };
  // AudioSocket: registers the UUID a connection will present, and where Asterisk connects to.
  expectAudioSocket: (uuid: string) => { accepted: Promise<AcceptedAudioSocket>; cancel: () => void };
  audioSocketPort: () => number;
  // Runs each call's ExternalMedia request in turn where calls must not dial at once (chan_websocket
  // client mode, see createExternalMedia); elsewhere runs it straight away.
  oneDialAtATime: <T>(dial: () => Promise<T>) => Promise<T>;
  onFinished: (call: AsteriskCall) => void;
}

export class AsteriskCall {
  readonly mediaChannelId: string;
  readonly bridgeId: string;
  call: Call | undefined;
  private leg: MediaLeg | undefined;
  private readonly undo: Array<{ step: string; run: () => Promise<unknown> | void }> = [];
  private callerGone = false;
  private waitingForTurn = false;
  private setupCounted = false;
  private tornDown: Promise<void> | undefined;
  // Asterisk puts a new ExternalMedia channel into Stasis on another thread, possibly after
  // POST /channels/externalMedia has answered: addChannel before that gets 422 "Channel not in
  // Stasis application". Resolved by the media channel's own StasisStart (mediaChannelEntered).
  private markMediaInStasis!: () => void;
  private readonly mediaInStasis = new Promise<void>((resolve) => (this.markMediaInStasis = resolve));
  // Rejected when Asterisk destroys the ExternalMedia channel before the call has started (its dial
  // failed: a connection it could not make), so no setup step waits for that channel in vain.
  private markMediaGone!: (error: Error) => void;
  private readonly mediaGone = new Promise<never>((_, reject) => (this.markMediaGone = reject));
  private readonly logger: Logger;

  constructor(
    readonly callId: string,
    readonly caller: AriChannelJson,
    private readonly ctx: AsteriskCallContext,
    // The call's hold on the node's cap, taken at StasisStart; the leg's end frees it.
    private readonly slot: CallSlot,
  ) {
    this.mediaChannelId = mediaChannelIdOf(callId);
    this.bridgeId = bridgeIdOf(callId);
    this.logger = ctx.logger.child({ callId, channelId: caller.id });
    // Awaited only in races with what it cuts short.
    this.mediaGone.catch(() => undefined);
  }

  // The caller's channel left Stasis (hangup): end the call, or abort a setup in progress.
  callerLeft(): void {
    this.callerGone = true;
    this.call?.end('caller_hangup');
    // Queued behind other calls' dials: free the call's slot and what it made now, not when its
    // turn comes (the turn then ends at once).
    if (this.waitingForTurn) {
      this.countSetupFailure(new SetupAbortedError('caller left while the call waited for its turn to dial'));
      void this.teardown('caller_hangup');
    }
  }

  // Our ExternalMedia channel left Stasis without us asking: the call has no media any more. A
  // media worker's death closes its sockets to Asterisk at once, so Asterisk may report the
  // channel gone before this process hears of the death: the leg's worker is asked first, and a
  // dead one has ended the call as media_worker_failed by the time the question fails.
  mediaChannelLeft(): void {
    const call = this.call;
    if (call) void call.leg.roundTrip().then(() => call.end('media_channel_gone'));
  }

  // ChannelDestroyed of our ExternalMedia channel. A live call heard of it by its StasisEnd
  // (mediaChannelLeft); during setup it ends the dial's turn and fails the setup at once.
  mediaChannelDestroyed(cause: string): void {
    if (!this.call) this.markMediaGone(new AriRequestError('externalMedia', `Asterisk destroyed the ExternalMedia channel before the call started (${cause})`));
  }

  // StasisStart of our ExternalMedia channel (it may come before the REST answer that created it).
  mediaChannelEntered(): void {
    this.markMediaInStasis();
  }

  dtmf(digit: string, durationMs: number): void {
    this.call?.leg.receiveDtmf(digit, durationMs);
  }

  async setup(): Promise<void> {
    const { ari, config } = this.ctx;
    try {
      await this.request('answer', () => ari.channels.answer({ channelId: this.caller.id }));
      const leg = await this.createLeg();
      // Each undo is registered before its request: if the request times out after Asterisk did
      // it, the undo still runs (and a 404 from it means there was nothing to undo).
      this.undo.push({ step: 'bridgeCreate', run: () => ari.bridges.destroy({ bridgeId: this.bridgeId }) });
      await this.request('bridgeCreate', () => ari.bridges.create({ type: 'mixing', bridgeId: this.bridgeId, name: this.bridgeId }));
      const { connected } = await this.dialInTurn(leg);
      await this.connectMedia(leg, connected);
      await this.request('mediaStasisStart', () => Promise.race([this.mediaInStasis, this.mediaGone]));
      await this.request('addChannel', () =>
        Promise.race([ari.bridges.addChannel({ bridgeId: this.bridgeId, channel: `${this.caller.id},${this.mediaChannelId}` }), this.mediaGone]),
      );
      this.startCall(leg);
      asteriskMetrics.calls.inc({ outcome: 'started' });
      this.logger.info({ transport: config.transport, format: config.transport === 'rtp' ? config.format : config.transport === 'audiosocket' ? 'slin' : 'slin16' }, 'asterisk call started');
    } catch (error) {
      this.countSetupFailure(error);
      await this.teardown(error instanceof SetupAbortedError ? 'caller_hangup' : 'setup_failed');
    }
  }

  // Once per call: a caller who left while the call waited for its turn is counted as they leave,
  // and the turn that comes later finds the call torn down.
  private countSetupFailure(error: unknown): void {
    if (this.setupCounted) return;
    this.setupCounted = true;
    asteriskMetrics.calls.inc({ outcome: error instanceof SetupAbortedError ? 'caller_left_during_setup' : 'setup_failed' });
    if (error instanceof AriRequestError) asteriskMetrics.ariErrors.inc({ step: error.step });
    this.logger.warn({ err: error }, 'asterisk call setup failed: rolling back');
  }

  // Undoes everything this call created in Asterisk and in the media engine; hangs up the caller
  // unless the caller is the one who left. Safe to call more than once.
  teardown(reason: string): Promise<void> {
    this.leaveQueue();
    this.tornDown ??= this.runTeardown(reason);
    return this.tornDown;
  }

  private async runTeardown(reason: string): Promise<void> {
    // The leg's close lets chan_websocket play the bot's last words (asterisk-pcm-leg.ts) before
    // the ExternalMedia channel is hung up below.
    await this.leg?.close(reason).catch(() => undefined);
    this.slot.release();
    for (const entry of this.undo.reverse()) {
      try {
        await ariRequest(`undo:${entry.step}`, this.ctx.config.requestTimeoutMs, async () => entry.run());
      } catch (error) {
        if (!(error instanceof AriRequestError && error.notFound)) {
          asteriskMetrics.ariErrors.inc({ step: `undo:${entry.step}` });
          this.logger.warn({ err: error }, 'teardown step failed');
        }
      }
    }
    this.undo.length = 0;
    if (!this.callerGone) {
      try {
        await ariRequest('hangupCaller', this.ctx.config.requestTimeoutMs, () =>
          this.ctx.ari.channels.hangup({ channelId: this.caller.id, reason: reason === 'setup_failed' ? 'failure' : 'normal' }),
        );
      } catch (error) {
        if (!(error instanceof AriRequestError && error.notFound)) this.logger.warn({ err: error }, 'caller hangup failed');
      }
    }
    this.ctx.onFinished(this);
  }

  private async request<T>(step: string, run: () => Promise<T>): Promise<T> {
    // Torn down meanwhile (shutdown): stop here; anything created late is a `parley-` leftover
    // that the next reconcile removes.
    if (this.callerGone || this.tornDown) throw new SetupAbortedError(`caller left or call torn down before ${step}`);
    const result = await ariRequest(step, this.ctx.config.requestTimeoutMs, run);
    if (this.callerGone || this.tornDown) throw new SetupAbortedError(`caller left or call torn down during ${step}`);
    return result;
  }

  // Placed by the call service (a media worker by default): an RTP leg on Parley's own socket, or
  // a PCM leg whose chan_websocket or AudioSocket link connects once Asterisk made its channel.
  private async createLeg(): Promise<MediaLeg> {
    const { calls, config, session: sessionOptions } = this.ctx;
    let leg: MediaLeg;
    if (config.transport !== 'rtp') {
      const params = { transport: config.transport, session: sessionOptions };
      leg = await this.request('mediaSession', async () => (await calls.createLeg(this.callId, ASTERISK_PCM_LEG, params, this.slot)).leg);
    } else {
      const { codec, payloadType } = rtpFormats[config.format];
      // learnRemote off: outbound RTP goes to UNICASTRTP_LOCAL_ADDRESS/PORT only, never to
      // whoever sent the first packet. Strict source: inbound is taken from that address only
      // (chan_rtp sends from the socket it names), and from nobody before setRemote names it.
      const options = { ...sessionOptions, codec, payloadType, localHost: this.ctx.mediaHost, localPort: 0, learnRemote: false, strictSource: true };
      leg = await this.request('mediaSession', () => calls.createRtpLeg(this.callId, options, this.slot));
    }
    this.leg = leg;
    this.undo.push({ step: 'mediaSession', run: () => void leg.close('teardown') });
    return leg;
  }

  private externalMediaParams(localPort: number): Record<string, string> {
    const { config } = this.ctx;
    const common = { app: config.app, channelId: this.mediaChannelId, direction: 'both' };
    if (config.transport === 'websocket') {
      const client = config.websocket.connectionType === 'client';
      return {
        ...common,
        transport: 'websocket',
        encapsulation: 'none',
        format: 'slin16',
        connection_type: config.websocket.connectionType,
        external_host: client ? config.websocket.clientName : 'INCOMING',
        // chan_websocket's v() option: Asterisk adds the call id to the URI it dials.
        ...(client ? { transport_data: `v(${CALL_QUERY_PARAM}=${this.callId})` } : {}),
      };
    }
    if (config.transport === 'audiosocket') {
      // chan_audiosocket connects to external_host and presents `data` as its UUID.
      return { ...common, transport: 'tcp', encapsulation: 'audiosocket', format: 'slin', external_host: `${this.ctx.externalHost}:${this.ctx.audioSocketPort()}`, data: this.callId };
    }
    return {
      ...common,
      transport: 'udp',
      encapsulation: 'rtp',
      format: config.format,
      external_host: `${this.ctx.externalHost}:${localPort}`,
    };
  }

  // createExternalMedia in the call's turn; the calls waiting are counted (dialsWaiting).
  private dialInTurn(leg: MediaLeg): Promise<{ connected: Promise<void> | undefined }> {
    this.waitingForTurn = true;
    asteriskMetrics.dialsWaiting.inc();
    return this.ctx.oneDialAtATime(() => {
      this.leaveQueue();
      return this.createExternalMedia(leg);
    });
  }

  // The turn came, or the call was torn down while it waited (its turn then ends at once).
  private leaveQueue(): void {
    if (!this.waitingForTurn) return;
    this.waitingForTurn = false;
    asteriskMetrics.dialsWaiting.dec();
  }

  // Asks Asterisk for the ExternalMedia channel. In chan_websocket client mode the adapter runs
  // this one call at a time (oneDialAtATime): Asterisk 22 writes each call's v() parameters into
  // the websocket_client entry every call shares and reads them back when its originate thread
  // builds the URI (webchan_call in chan_websocket.c, ast_websocket_client_connect in
  // res_websocket_client.c), so two calls dialling at once can swap or tear their call ids. Once
  // the request is sent, a turn lasts until Asterisk's connection has arrived (its URI was built),
  // the wait for it ended, or Asterisk destroyed the channel (its dial failed), whatever became
  // of the request (answered, timed out, the caller gone meanwhile); an error answer (Asterisk
  // made no channel and dials nothing) ends it at once.
  // Returns the link's connection still in progress (wrapped: the turn must not wait for it).
  private async createExternalMedia(leg: MediaLeg): Promise<{ connected: Promise<void> | undefined }> {
    const { ari } = this.ctx;
    // Torn down while waiting for its turn: register nothing (its undo list has already run).
    if (this.callerGone || this.tornDown) throw new SetupAbortedError('caller left or call torn down before externalMedia');
    // Registered before the request, as every undo is (see setup).
    this.undo.push({ step: 'externalMedia', run: () => ari.channels.hangup({ channelId: this.mediaChannelId }) });
    const socket = this.connectWhenAccepted(leg);
    let refused = false;
    try {
      await this.request('externalMedia', () =>
        ari.channels.externalMedia(this.externalMediaParams(leg.localPort ?? 0)).catch((error: unknown) => {
          refused = true;
          throw error;
        }),
      );
    } finally {
      if (!refused && socket) await Promise.race([socket.accepted, this.mediaGone]).catch(() => undefined);
    }
    return { connected: socket?.connected };
  }

  // Registered before `externalMedia`: Asterisk connects (AudioSocket, chan_websocket client
  // mode) on a thread of its own, possibly before it answers that request, and the socket goes to
  // the leg as soon as it is accepted.
  private connectWhenAccepted(leg: MediaLeg): { accepted: Promise<unknown>; connected: Promise<void> } | undefined {
    const { config } = this.ctx;
    const expected =
      config.transport === 'audiosocket'
        ? this.ctx.expectAudioSocket(this.callId)
        : config.transport === 'websocket' && config.websocket.connectionType === 'client'
          ? this.ctx.expectMediaUpgrade(this.callId)
          : undefined;
    if (!expected) return undefined;
    this.undo.push({ step: 'mediaSocket', run: expected.cancel });
    const connected = expected.accepted.then((accepted) => {
      const how: AsteriskConnect =
        'uuid' in accepted
          ? { via: 'audiosocket', uuid: accepted.uuid, head: accepted.head }
          : { via: 'upgrade', request: accepted.request, head: accepted.head, channelId: this.mediaChannelId };
      // The socket goes to where the leg runs (a media worker); the link lives there from now on.
      return leg.connectTransport(how, accepted.socket);
    });
    // Setup may fail before anyone awaits it; the rejection is handled where it is awaited.
    connected.catch(() => undefined);
    return { accepted: expected.accepted, connected };
  }

  private async connectMedia(leg: MediaLeg, connected: Promise<void> | undefined): Promise<void> {
    const { ari, config } = this.ctx;
    const variable = (name: string): Promise<string> =>
      this.request('getVariable', () => ari.channels.getChannelVar({ channelId: this.mediaChannelId, variable: name })).then((result) => result.value);
    if (config.transport === 'rtp') {
      const address = await variable('UNICASTRTP_LOCAL_ADDRESS');
      const port = Number(await variable('UNICASTRTP_LOCAL_PORT'));
      if (!Number.isInteger(port) || port < 1 || port > 65535) throw new AriRequestError('getVariable', `UNICASTRTP_LOCAL_PORT is not a port: ${port}`);
      leg.setRemote(address, port);
      return;
    }
    if (connected) {
      await this.request('connectMedia', () => Promise.race([connected, this.mediaGone]));
      return;
    }
    // Server mode: the leg dials Asterisk from where it runs.
    const url = this.ctx.mediaWebSocketUrl(await variable('MEDIA_WEBSOCKET_CONNECTION_ID'));
    await this.request('connectMedia', () => leg.connectTransport({ via: 'dial', url, timeoutMs: config.requestTimeoutMs }));
  }

  private sendDtmfToCaller(digits: string): void {
    const { ari, config } = this.ctx;
    ariRequest('sendDtmf', config.requestTimeoutMs, () => ari.channels.sendDTMF({ channelId: this.caller.id, dtmf: digits })).catch((error: unknown) => {
      if (error instanceof AriRequestError) asteriskMetrics.ariErrors.inc({ step: error.step });
      this.logger.warn({ err: error }, 'bot DTMF not sent to the caller');
    });
  }

  private startCall(leg: MediaLeg): void {
    // Bot DTMF: Asterisk plays it on the caller's channel (ARI POST /channels/{id}/dtmf).
    leg.sendDtmfThrough((digits) => this.sendDtmfToCaller(digits));
    this.call = this.ctx.calls.start({ callId: this.callId, source: 'asterisk', from: this.caller.caller?.number, to: this.caller.dialplan?.exten }, leg, this.logger, {
      onEnded: (reason) => void this.teardown(reason),
    });
  }
}
