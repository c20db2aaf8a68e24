// One Asterisk call taken over by Parley: answer the caller, create the media session, a mixing
// bridge and the ExternalMedia channel, point the session at UNICASTRTP_LOCAL_ADDRESS/PORT (or
// open the chan_websocket link), bridge both channels, start the bot. Every step that created
// something pushes its undo; a failure (or the caller leaving mid-setup) runs the undos in reverse,
// so no bridge or channel is left behind. Teardown after a live call goes through the same list.
import type { Logger } from 'pino';
import { WebSocket } from 'ws';
import type { Call } from '../../engine/call/call.js';
import type { CallService } from '../../engine/call/call-service.js';
import type { MediaLeg } from '../../engine/call/media-leg.js';
import type { MediaSession } from '../../engine/media/media-session.js';
import type { SessionOptions } from '../../engine/media/media-session-options.js';
import { ariRequest, type AriChannelJson, type AriClientLike } from './ari-api.js';
import type { AsteriskConfig, ExternalMediaRtpFormat } from './asterisk-config.js';
import { asteriskMetrics } from './asterisk-metrics.js';
import type { AudioSocketConnection } from './audiosocket-connection.js';
import { AudioSocketLink } from './audiosocket-link.js';
import { bridgeIdOf, mediaChannelIdOf } from './call-names.js';
import { AriRequestError, SetupAbortedError } from './errors.js';
import { MediaWebSocketLink, type MediaStart } from './media-websocket-link.js';

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
  // Connects a server-mode chan_websocket link (ws URL of Asterisk's HTTP server + /media/<id>).
  mediaWebSocketUrl: (connectionId: string) => string;
  // Client mode: resolves with the socket Asterisk opened for channel `name`.
  awaitClientSocket: (channelName: string, timeoutMs: number) => Promise<{ socket: WebSocket; start: MediaStart }>;
  // AudioSocket: registers the UUID a connection will present, and where Asterisk connects to.
  expectAudioSocket: (uuid: string) => { connection: Promise<AudioSocketConnection>; cancel: () => void };
  audioSocketPort: () => number;
  onFinished: (call: AsteriskCall) => void;
}

export class AsteriskCall {
  readonly mediaChannelId: string;
  readonly bridgeId: string;
  call: Call | undefined;
  link: MediaWebSocketLink | AudioSocketLink | undefined;
  private readonly undo: Array<{ step: string; run: () => Promise<unknown> | void }> = [];
  private callerGone = false;
  private tornDown: Promise<void> | undefined;
  // Asterisk puts a new ExternalMedia channel into Stasis on another thread, possibly after
  // POST /channels/externalMedia has answered: addChannel before that gets 422 "Channel not in
  // Stasis application". Resolved by the media channel's own StasisStart (mediaChannelEntered).
  private markMediaInStasis!: () => void;
  private readonly mediaInStasis = new Promise<void>((resolve) => (this.markMediaInStasis = resolve));
  private readonly logger: Logger;

  constructor(
    readonly callId: string,
    readonly caller: AriChannelJson,
    private readonly ctx: AsteriskCallContext,
  ) {
    this.mediaChannelId = mediaChannelIdOf(callId);
    this.bridgeId = bridgeIdOf(callId);
    this.logger = ctx.logger.child({ callId, channelId: caller.id });
  }

  // The caller's channel left Stasis (hangup): end the call, or abort a setup in progress.
  callerLeft(): void {
    this.callerGone = true;
    this.call?.end('caller_hangup');
  }

  // Our ExternalMedia channel left Stasis without us asking: the call has no media any more.
  mediaChannelLeft(): void {
    this.call?.end('media_channel_gone');
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
      const { leg, session } = await this.createLeg();
      // Each undo is registered before its request: if the request times out after Asterisk did
      // it, the undo still runs (and a 404 from it means there was nothing to undo).
      this.undo.push({ step: 'bridgeCreate', run: () => ari.bridges.destroy({ bridgeId: this.bridgeId }) });
      await this.request('bridgeCreate', () => ari.bridges.create({ type: 'mixing', bridgeId: this.bridgeId, name: this.bridgeId }));
      this.undo.push({ step: 'externalMedia', run: () => ari.channels.hangup({ channelId: this.mediaChannelId }) });
      const audioSocket = this.expectAudioSocket();
      const mediaChannel = await this.request('externalMedia', () => ari.channels.externalMedia(this.externalMediaParams(leg.localPort ?? 0)));
      await this.connectMedia(leg, session, mediaChannel, audioSocket);
      await this.request('mediaStasisStart', () => this.mediaInStasis);
      await this.request('addChannel', () => ari.bridges.addChannel({ bridgeId: this.bridgeId, channel: `${this.caller.id},${this.mediaChannelId}` }));
      this.startCall(leg);
      asteriskMetrics.calls.inc({ outcome: 'started' });
      this.logger.info({ transport: config.transport, format: config.transport === 'rtp' ? config.format : config.transport === 'audiosocket' ? 'slin' : 'slin16' }, 'asterisk call started');
    } catch (error) {
      asteriskMetrics.calls.inc({ outcome: error instanceof SetupAbortedError ? 'caller_left_during_setup' : 'setup_failed' });
      if (error instanceof AriRequestError) asteriskMetrics.ariErrors.inc({ step: error.step });
      this.logger.warn({ err: error }, 'asterisk call setup failed: rolling back');
      await this.teardown(error instanceof SetupAbortedError ? 'caller_hangup' : 'setup_failed');
    }
  }

  // Undoes everything this call created in Asterisk and in the media engine; hangs up the caller
  // unless the caller is the one who left. Safe to call more than once.
  teardown(reason: string): Promise<void> {
    this.tornDown ??= this.runTeardown(reason);
    return this.tornDown;
  }

  private async runTeardown(reason: string): Promise<void> {
    // chan_websocket still holds a few frames of the bot's last words: let them play first.
    if (!this.callerGone) await this.link?.drain();
    this.link?.close();
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

  // RTP legs are placed by the call service (a media worker by default); chan_websocket and
  // AudioSocket legs are PCM sessions of this process's engine, fed by the link (`session`).
  private async createLeg(): Promise<{ leg: MediaLeg; session?: MediaSession }> {
    const { calls, config, session: sessionOptions } = this.ctx;
    let leg: MediaLeg;
    let session: MediaSession | undefined;
    if (config.transport !== 'rtp') {
      // chan_websocket carries slin16; AudioSocket slin (8 kHz), which Asterisk 20 has too.
      const legRateHz = config.transport === 'websocket' ? 16000 : 8000;
      session = calls.inline.engine.createPcmSession(this.callId, { ...sessionOptions, legRateHz });
      leg = calls.inlineLeg(session);
    } else {
      const { codec, payloadType } = rtpFormats[config.format];
      // learnRemote off: outbound RTP goes to UNICASTRTP_LOCAL_ADDRESS/PORT only, never to
      // whoever sent the first packet. Strict source: inbound is taken from that address only
      // (chan_rtp sends from the socket it names), and from nobody before setRemote names it.
      const options = { ...sessionOptions, codec, payloadType, localHost: this.ctx.mediaHost, localPort: 0, learnRemote: false, strictSource: true };
      leg = await this.request('mediaSession', () => calls.createRtpLeg(this.callId, options));
    }
    this.undo.push({ step: 'mediaSession', run: () => void leg.close('teardown') });
    return { leg, session };
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

  // Registered before `externalMedia`: Asterisk connects and sends the UUID while that request runs.
  private expectAudioSocket(): Promise<AudioSocketConnection> | undefined {
    if (this.ctx.config.transport !== 'audiosocket') return undefined;
    const { connection, cancel } = this.ctx.expectAudioSocket(this.callId);
    this.undo.push({ step: 'audioSocket', run: cancel });
    // Setup may fail before anyone awaits it; the rejection is handled where it is awaited.
    connection.catch(() => undefined);
    return connection;
  }

  private async connectMedia(leg: MediaLeg, session: MediaSession | undefined, mediaChannel: AriChannelJson, audioSocket: Promise<AudioSocketConnection> | undefined): Promise<void> {
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
    if (!session) throw new AriRequestError('connectMedia', 'a PCM link needs its session');
    const onBroken = (reason: string): void => this.call?.end(reason);
    if (audioSocket !== undefined) {
      const connection = await audioSocket;
      this.link = new AudioSocketLink(connection, session, this.logger, onBroken);
      return;
    }
    if (config.websocket.connectionType === 'server') {
      const connectionId = await variable('MEDIA_WEBSOCKET_CONNECTION_ID');
      const socket = new WebSocket(this.ctx.mediaWebSocketUrl(connectionId), 'media', { handshakeTimeout: config.requestTimeoutMs });
      this.undo.push({ step: 'mediaWebSocket', run: () => socket.terminate() });
      // The link listens before the socket opens: MEDIA_START can arrive with the upgrade.
      this.link = new MediaWebSocketLink(socket, session, this.logger, onBroken);
      await new Promise<void>((resolve, reject) => {
        socket.once('open', resolve);
        socket.once('error', (error) => reject(new AriRequestError('mediaWebSocket', error.message)));
      });
      return;
    }
    const { socket, start } = await this.ctx.awaitClientSocket(mediaChannel.name, config.requestTimeoutMs);
    this.undo.push({ step: 'mediaWebSocket', run: () => socket.terminate() });
    this.link = new MediaWebSocketLink(socket, session, this.logger, onBroken, start);
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
