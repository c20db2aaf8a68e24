// PBX mode: Parley as the ARI Stasis application. Channels that enter Stasis(app) from an allowed
// dialplan location become calls (AsteriskCall does the per-call work); everything else entering
// the app is hung up. When the event socket drops, Parley connects afresh on its own backoff (a
// refused password or an unreachable Asterisk is logged and retried, never fatal once started).
// Every (re)connection is followed by a reconcile against what Asterisk actually has.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import pLimit from 'p-limit';
import { CallCapError, type CallSlot } from '../../engine/call/call-cap.js';
import type { CallService } from '../../engine/call/call-service.js';
import type { SessionOptions } from '../../engine/media/media-session-options.js';
import { ariRequest, type AriClientLike } from './ari-api.js';
import { connectAri, connectErrorOf, retireAriClient } from './ari-connect.js';
import { channelDestroyedSchema, channelDtmfSchema, stasisEndSchema, stasisStartSchema } from './ari-events.js';
import { AsteriskCall, type AsteriskCallContext } from './asterisk-call.js';
import type { AsteriskConfig } from './asterisk-config.js';
import { asteriskMetrics } from './asterisk-metrics.js';
import { ASTERISK_PCM_LEG, asteriskPcmLegKind } from './asterisk-pcm-leg.js';
import { AudioSocketServer } from './audiosocket-server.js';
import { isParleyObject } from './call-names.js';
import { InvalidArgumentError } from '../../engine/errors.js';
import { AriConnectError, AriProtocolError } from './errors.js';
import { MediaWebSocketListener } from './media-websocket-listener.js';


export interface AsteriskAdapterOptions {
  config: AsteriskConfig;
  // Address the RTP sessions bind to, and the one Asterisk is told to send to.
  mediaHost: string;
  externalHost?: string;
  session: SessionOptions;
  calls: CallService;
  logger: Logger;
}

export interface ReconcileReport {
  endedCalls: string[];
  destroyedBridges: string[];
  hungUpChannels: string[];
}

export interface AsteriskAdapterEvents {
  connected: [];
  disconnected: [];
  reconciled: [report: ReconcileReport];
  refused: [channelId: string];
  finished: [callId: string];
}

export class AsteriskAdapter extends EventEmitter<AsteriskAdapterEvents> {
  private client: AriClientLike | undefined;
  private readonly byChannel = new Map<string, AsteriskCall>();
  private readonly byCallId = new Map<string, AsteriskCall>();
  private readonly ctx: AsteriskCallContext;
  private readonly config: AsteriskConfig;
  private readonly logger: Logger;
  private mediaListener: MediaWebSocketListener | undefined;
  private audioSocketServer: AudioSocketServer | undefined;
  private stopping = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reconnectDelayMs: number;
  private ariUp = false;

  constructor(private readonly options: AsteriskAdapterOptions) {
    super();
    if (!options.config.password) throw new InvalidArgumentError('asterisk.password (PARLEY_ARI_PASSWORD) is required in pbx mode');
    this.config = options.config;
    this.reconnectDelayMs = options.config.reconnectInitialMs;
    this.logger = options.logger.child({ component: 'asterisk' });
    const wsBase = this.config.url.replace(/^http/, 'ws').replace(/\/$/, '');
    this.ctx = {
      ari: undefined as unknown as AriClientLike, // set on connect, before any call exists
      config: this.config,
      mediaHost: options.mediaHost,
      externalHost: options.externalHost ?? options.mediaHost,
      session: options.session,
      calls: options.calls,
      logger: options.logger,
      mediaWebSocketUrl: (connectionId) => `${wsBase}/media/${encodeURIComponent(connectionId)}`,
      expectMediaUpgrade: (callId) => this.mediaListener!.expect(callId),
      oneDialAtATime: this.config.transport === 'websocket' && this.config.websocket.connectionType === 'client' ? pLimit(1) : (dial) => dial(),
      expectAudioSocket: (uuid) => this.audioSocketServer!.expect(uuid),
      audioSocketPort: () => this.audioSocketServer!.port,
      onFinished: (call) => this.forget(call),
    };
    // Made here when the node runs its media inline; a media worker gets the kind from its entry.
    options.calls.inline.registerKind(ASTERISK_PCM_LEG, asteriskPcmLegKind());
  }

  // Whether the ARI event socket is up (calls can start); false while reconnecting.
  get ariConnected(): boolean {
    return this.ariUp;
  }

  get activeCalls(): number {
    return this.byCallId.size;
  }

  // Resolves once the app is registered with Asterisk (the first connect must succeed).
  async start(): Promise<void> {
    if (this.config.transport === 'websocket' && this.config.websocket.connectionType === 'client') {
      const { listenHost, listenPort } = this.config.websocket;
      this.mediaListener = new MediaWebSocketListener(listenHost, listenPort, this.config.requestTimeoutMs, this.logger);
      await this.mediaListener.listen();
    }
    if (this.config.transport === 'audiosocket') {
      const { listenHost, listenPort, maxConnections } = this.config.audiosocket;
      this.audioSocketServer = new AudioSocketServer({ host: listenHost, port: listenPort, maxConnections, timeoutMs: this.config.requestTimeoutMs, logger: this.logger });
      await this.audioSocketServer.listen();
    }
    await this.connect();
  }

  // Draining: channels entering the app from now on are refused; live calls go on.
  refuseNewCalls(): void {
    this.stopping = true;
  }

  // Ends the calls still live with `reason` (each channel hung up), then lets go of ARI.
  async stop(reason = 'shutdown'): Promise<void> {
    this.stopping = true;
    clearTimeout(this.reconnectTimer);
    await Promise.all([...this.byCallId.values()].map(async (call) => {
      call.call?.end(reason);
      await call.teardown(reason);
    }));
    if (this.client) retireAriClient(this.client);
    this.ariUp = false;
    await this.mediaListener?.close();
    await this.audioSocketServer?.close();
  }

  // The port Asterisk's chan_audiosocket connects to (transport 'audiosocket').
  get audioSocketPort(): number | undefined {
    return this.audioSocketServer?.port;
  }

  // The address Asterisk's chan_websocket client connects to (client mode).
  get mediaListenPort(): number | undefined {
    return this.mediaListener?.boundPort;
  }

  private async connect(): Promise<void> {
    const client = await connectAri(this.config.url, this.config.username, this.config.password!);
    client.on('StasisStart', (event) => this.guard('StasisStart', () => this.onStasisStart(event)));
    client.on('StasisEnd', (event) => this.guard('StasisEnd', () => this.onStasisEnd(event)));
    client.on('ChannelDestroyed', (event) => this.guard('ChannelDestroyed', () => this.onChannelDestroyed(event)));
    client.on('ChannelDtmfReceived', (event) => this.guard('ChannelDtmfReceived', () => this.onDtmf(event)));
    client.on('WebSocketConnected', () => {
      // Until now calls kept using the previous client's REST operations (still valid over HTTP).
      this.client = client;
      this.ctx.ari = client;
      this.ariUp = true;
      this.reconnectDelayMs = this.config.reconnectInitialMs;
      this.logger.info('ARI event socket connected');
      this.emit('connected');
      void this.reconcile();
    });
    // ari-client retries the event socket a few times itself (ari-connect.ts); when it gives up,
    // Parley connects afresh on its own backoff, which also reloads the API documents (as after
    // an Asterisk upgrade) and reports refused credentials as such.
    try {
      await client.start(this.config.app);
    } catch (error) {
      retireAriClient(client);
      throw connectErrorOf(error, this.config.url);
    }
    if (this.stopping) {
      retireAriClient(client);
      return;
    }
    client.on('WebSocketReconnecting', (error) => this.eventSocketLost(error));
    client.on('WebSocketMaxRetries', () => {
      retireAriClient(client);
      this.scheduleFreshConnect();
    });
  }

  private eventSocketLost(error: unknown): void {
    if (this.stopping || !this.ariUp) return;
    this.ariUp = false;
    asteriskMetrics.reconnects.inc();
    this.logger.warn({ err: error }, 'ARI event socket lost: reconnecting');
    this.emit('disconnected');
  }

  // Connects again after reconnectDelayMs, doubling it (up to reconnectMaxMs) after each failure;
  // nothing a failed attempt throws leaves this loop.
  private scheduleFreshConnect(): void {
    if (this.stopping) return;
    const delayMs = this.reconnectDelayMs;
    this.reconnectDelayMs = Math.min(delayMs * 2, this.config.reconnectMaxMs);
    this.reconnectTimer = setTimeout(() => {
      this.connect().catch((error: unknown) => {
        const failure = error instanceof AriConnectError ? error : connectErrorOf(error, this.config.url);
        asteriskMetrics.connectFailures.inc({ reason: failure.reason });
        this.logger.warn({ err: failure, reason: failure.reason, retryInMs: this.reconnectDelayMs }, `ARI connect failed: ${failure.message}`);
        this.scheduleFreshConnect();
      });
    }, delayMs);
  }

  private guard(type: string, handle: () => void): void {
    try {
      handle();
    } catch (error) {
      asteriskMetrics.invalidEvents.inc({ type });
      this.logger.warn({ err: error, type }, 'dropping an ARI event that does not match events.json');
    }
  }

  private allowed(context: string, exten: string): boolean {
    const { allowedContexts, allowedExtensions } = this.config;
    return allowedContexts.includes(context) && (allowedExtensions.length === 0 || allowedExtensions.includes(exten));
  }

  private onStasisStart(raw: unknown): void {
    const event = stasisStartSchema.parse(raw);
    const channel = event.channel;
    // Our own ExternalMedia channels enter the app too: the call waits for that before bridging.
    if (isParleyObject(channel.id)) {
      this.byChannel.get(channel.id)?.mediaChannelEntered();
      return;
    }
    if (this.byChannel.has(channel.id)) throw new AriProtocolError(`second StasisStart for ${channel.id}`);
    const { context, exten } = channel.dialplan;
    if (this.stopping || !this.allowed(context, exten)) {
      asteriskMetrics.calls.inc({ outcome: 'refused' });
      this.logger.warn({ channelId: channel.id, context, exten, stopping: this.stopping }, 'refusing a channel from outside the allowed dialplan locations');
      this.refuse(channel.id, 'rejected');
      return;
    }
    const slot = this.admit(channel.id);
    if (!slot) return;
    const call = new AsteriskCall(randomUUID(), channel, this.ctx, slot);
    this.byChannel.set(channel.id, call);
    this.byChannel.set(call.mediaChannelId, call);
    this.byCallId.set(call.callId, call);
    void call.setup();
  }

  // The node's cap, before anything is answered or created: over it, the channel is hung up with
  // cause `congestion` (the call service counted and logged the refusal).
  private admit(channelId: string): CallSlot | undefined {
    try {
      return this.ctx.calls.admit('asterisk');
    } catch (error) {
      if (!(error instanceof CallCapError)) throw error;
      asteriskMetrics.calls.inc({ outcome: 'refused_at_cap' });
      this.refuse(channelId, 'congestion');
      return undefined;
    }
  }

  private refuse(channelId: string, reason: 'rejected' | 'congestion'): void {
    void ariRequest('refuse', this.config.requestTimeoutMs, () => this.ctx.ari.channels.hangup({ channelId, reason }))
      .catch((error: unknown) => this.logger.warn({ err: error, channelId }, 'refusing hangup failed'))
      .finally(() => this.emit('refused', channelId));
  }

  private onStasisEnd(raw: unknown): void {
    const { channel } = stasisEndSchema.parse(raw);
    const call = this.byChannel.get(channel.id);
    if (call === undefined) return;
    if (channel.id === call.caller.id) call.callerLeft();
    else call.mediaChannelLeft();
  }

  // Only a media channel that dies during setup matters here: a live call's channels leave the
  // app first (StasisEnd), and the caller's StasisEnd always precedes its ChannelDestroyed.
  private onChannelDestroyed(raw: unknown): void {
    const { channel, cause_txt: cause } = channelDestroyedSchema.parse(raw);
    const call = this.byChannel.get(channel.id);
    if (call !== undefined && channel.id === call.mediaChannelId) call.mediaChannelDestroyed(cause);
  }

  private onDtmf(raw: unknown): void {
    const event = channelDtmfSchema.parse(raw);
    const call = this.byChannel.get(event.channel.id);
    if (call !== undefined && event.channel.id === call.caller.id) call.dtmf(event.digit, event.duration_ms);
  }

  private forget(call: AsteriskCall): void {
    this.byChannel.delete(call.caller.id);
    this.byChannel.delete(call.mediaChannelId);
    this.byCallId.delete(call.callId);
    this.emit('finished', call.callId);
  }

  // After a (re)connect: calls whose channels Asterisk no longer has are ended; Parley-named
  // bridges and channels no live call owns (left by a crash, or by a teardown that could not
  // reach Asterisk) are removed.
  private async reconcile(): Promise<void> {
    const ariClient = this.ctx.ari;
    const timeout = this.config.requestTimeoutMs;
    const report: ReconcileReport = { endedCalls: [], destroyedBridges: [], hungUpChannels: [] };
    try {
      const [channels, bridges] = await Promise.all([
        ariRequest('reconcile:channels', timeout, () => ariClient.channels.list({})),
        ariRequest('reconcile:bridges', timeout, () => ariClient.bridges.list({})),
      ]);
      const live = new Set(channels.map((channel) => channel.id));
      for (const call of [...this.byCallId.values()]) {
        if (call.call === undefined) continue; // still setting up: its own steps will fail or succeed
        const callerGone = !live.has(call.caller.id);
        if (callerGone || !live.has(call.mediaChannelId)) {
          report.endedCalls.push(call.callId);
          asteriskMetrics.reconciled.inc({ kind: 'call' });
          if (callerGone) call.callerLeft();
          else call.mediaChannelLeft();
        }
      }
      for (const bridge of bridges) {
        if (!isParleyObject(bridge.id) || this.ownsId(bridge.id)) continue;
        await this.removeLeftover('bridge', bridge.id, () => ariClient.bridges.destroy({ bridgeId: bridge.id }));
        report.destroyedBridges.push(bridge.id);
      }
      for (const channel of channels) {
        if (!isParleyObject(channel.id) || this.ownsId(channel.id)) continue;
        await this.removeLeftover('channel', channel.id, () => ariClient.channels.hangup({ channelId: channel.id }));
        report.hungUpChannels.push(channel.id);
      }
      this.logger.info(report, 'reconciled with Asterisk');
      this.emit('reconciled', report);
    } catch (error) {
      this.logger.warn({ err: error }, 'reconcile failed: will retry on the next connect');
    }
  }

  private ownsId(id: string): boolean {
    if (this.byChannel.has(id)) return true;
    return [...this.byCallId.values()].some((call) => call.bridgeId === id);
  }

  private async removeLeftover(kind: string, id: string, remove: () => Promise<unknown>): Promise<void> {
    asteriskMetrics.reconciled.inc({ kind });
    await ariRequest(`reconcile:${kind}`, this.config.requestTimeoutMs, remove).catch((error: unknown) => {
      this.logger.warn({ err: error, id }, 'could not remove a leftover');
    });
  }
}
