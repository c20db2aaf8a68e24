// A protocol-faithful stand-in for Asterisk's ARI, for tests (Asterisk is not packaged here).
// - REST under /ari, routed by Asterisk 22.10.1's own swagger documents (api-docs.ts): an
//   undocumented path or method fails as Asterisk fails it; documented operations the double
//   does not implement answer 501 rather than pretend.
// - /ari/events WebSocket per application, carrying the events.json models in the order Asterisk
//   emits them (StasisStart on entering the app; ChannelHangupRequest, ChannelLeftBridge,
//   StasisEnd, ChannelDestroyed on hangup; BridgeCreated/ChannelEnteredBridge/BridgeDestroyed).
// - ExternalMedia channels carry real media: UnicastRTP over UDP (rtp-media-endpoint.ts) with
//   UNICASTRTP_LOCAL_ADDRESS/PORT set, and chan_websocket (ws-media-endpoint.ts) with
//   MEDIA_WEBSOCKET_CONNECTION_ID, served at /media/<id> or dialled out to a configured client.
// - Faults: failNext(operation) answers the next such request with an error; dropEvents() and
//   restart() break the event socket as a network drop or an Asterisk restart would;
//   externalMediaStasisDelayMs holds back an ExternalMedia channel's StasisStart; setPassword()
//   changes the ARI credentials (401 from then on for the old ones).
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { routeOf, servedApiDoc, resourceNames } from './api-docs.js';
import { ariTimestamp, bridgeJson, channelJson, type DoubleBridge, type DoubleChannel } from './ari-models.js';
import { audioFormats, knownAsteriskFormats } from './audio-formats.js';
import { RtpMediaEndpoint } from './rtp-media-endpoint.js';
import { WsMediaEndpoint, type WsEndpointOptions } from './ws-media-endpoint.js';

export interface AriDoubleOptions {
  username?: string;
  password?: string;
  websocketClients?: Record<string, string>;
  wsEndpoint?: WsEndpointOptions;
}

export interface PlaceCallOptions {
  context: string;
  exten: string;
  callerNumber?: string;
  audio?: Int16Array;
}

export interface Fault {
  status: number;
  message: string;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

type Query = Record<string, string>;
type Handler = (params: Record<string, string>, query: Query, body: Record<string, unknown>) => Promise<unknown> | unknown;

const HANGUP_CAUSES: Record<string, [number, string]> = {
  normal: [16, 'Normal Clearing'],
  rejected: [21, 'Call Rejected'],
  failure: [38, 'Network out of order'],
  busy: [17, 'User busy'],
};

export class AriDouble {
  readonly channels = new Map<string, DoubleChannel>();
  readonly bridges = new Map<string, DoubleBridge>();
  readonly rtpEndpoints = new Map<string, RtpMediaEndpoint>();
  // By channel name: client-mode calls share one connection id (their websocket_client entry's).
  readonly wsEndpoints = new Map<string, WsMediaEndpoint>();
  // Every REST request, as "METHOD nickname" (for the ARI-usage list and for assertions).
  readonly requests: Array<{ nickname: string; query: Query }> = [];
  acceptEvents = true;
  // Real Asterisk puts an ExternalMedia channel into Stasis on another thread, sometimes after
  // the REST answer: delay that StasisStart by this much (Infinity: never) to reproduce the race.
  externalMediaStasisDelayMs = 0;
  // chan_websocket client mode: Asterisk keeps a call's v() parameters on the websocket_client
  // entry all calls share and reads them back when its dialling thread builds the URI (a window
  // of microseconds on real Asterisk). Hold that window open this long to reproduce the race.
  clientDialWindowMs: number | undefined;
  // Asterisk answers ExternalMedia once it made the channel, while its originate thread dials; a
  // loaded Asterisk answers late: hold a chan_websocket ExternalMedia answer back this long.
  externalMediaAnswerDelayMs = 0;
  private readonly clientUriParams = new Map<string, string | undefined>();
  // chan_websocket client-mode connections Asterisk has begun to dial.
  clientDials = 0;
  // Requests and event-socket upgrades refused with 401.
  unauthorized = 0;
  // websocket_client.conf: connection name -> URL Asterisk dials for chan_websocket client mode.
  readonly websocketClients: Record<string, string>;
  private readonly faults = new Map<string, Fault[]>();
  private readonly eventSockets = new Map<WebSocket, string>();
  private readonly username: string;
  private password: string;
  private readonly wss = new WebSocketServer({ noServer: true, handleProtocols: (protocols) => (protocols.has('media') ? 'media' : false) });
  private ticker: NodeJS.Timeout;
  private channelSeq = 0;
  private asteriskId = 'de:ad:be:ef:00:01';
  private readonly handlers: Record<string, Handler>;

  private constructor(
    private readonly server: Server,
    private readonly options: AriDoubleOptions,
  ) {
    this.username = options.username ?? 'parley';
    this.password = options.password ?? 'secret';
    this.websocketClients = { ...options.websocketClients };
    server.on('request', (req, res) => void this.onRequest(req, res));
    server.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket as never, head));
    this.ticker = setInterval(() => {
      const now = performance.now();
      for (const endpoint of this.rtpEndpoints.values()) endpoint.tick(now);
      for (const endpoint of this.wsEndpoints.values()) endpoint.tick(now);
    }, 10);
    this.handlers = {
      'channels.list': () => [...this.channels.values()].map((channel) => channelJson(channel)),
      'channels.get': ({ channelId }) => channelJson(this.channel(channelId!)),
      'channels.answer': ({ channelId }) => this.answer(this.stasisChannel(channelId!)),
      'channels.hangup': ({ channelId }, query) => this.hangupRequest(channelId!, query.reason),
      'channels.getChannelVar': ({ channelId }, query) => this.getVariable(channelId!, query.variable),
      'channels.externalMedia': (_, query, body) => this.externalMedia(query, body),
      'bridges.list': () => [...this.bridges.values()].map(bridgeJson),
      'bridges.get': ({ bridgeId }) => bridgeJson(this.bridge(bridgeId!)),
      'bridges.create': (_, query) => this.createBridge(query),
      'bridges.createWithId': ({ bridgeId }, query) => this.createBridge({ ...query, bridgeId: bridgeId! }),
      'bridges.destroy': ({ bridgeId }) => this.destroyBridge(this.bridge(bridgeId!)),
      'bridges.addChannel': ({ bridgeId }, query) => this.addChannels(bridgeId!, query.channel),
    };
  }

  static async start(options: AriDoubleOptions = {}): Promise<AriDouble> {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return new AriDouble(server, options);
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  get eventClients(): number {
    return this.eventSockets.size;
  }

  setPassword(password: string): void {
    this.password = password;
  }

  failNext(nickname: string, fault: Fault): void {
    const list = this.faults.get(nickname) ?? [];
    list.push(fault);
    this.faults.set(nickname, list);
  }

  // A caller reaches Stasis(app) from dialplan location context/exten.
  placeCall(app: string, options: PlaceCallOptions): DoubleChannel {
    const channel = this.newChannel(`PJSIP/janus-${String(++this.channelSeq).padStart(8, '0')}`, options.context, options.exten, 'Ring');
    channel.callerNumber = options.callerNumber ?? '1000';
    channel.callerAudio = options.audio ?? new Int16Array(0);
    this.enterStasis(app, channel);
    return channel;
  }

  callerHangsUp(channelId: string): void {
    this.hangup(this.channel(channelId), 'normal');
  }

  sendDtmf(channelId: string, digit: string, durationMs = 100): void {
    const channel = this.channel(channelId);
    this.emit('ChannelDtmfReceived', { digit, duration_ms: durationMs, channel: channelJson(channel) });
  }

  // The event socket drops (network): events in between are lost, state is kept.
  dropEvents(): void {
    for (const socket of this.eventSockets.keys()) socket.terminate();
    this.eventSockets.clear();
  }

  // Asterisk restarts: every channel and bridge is gone, nobody is told.
  restart(): void {
    this.dropEvents();
    for (const endpoint of this.rtpEndpoints.values()) endpoint.close();
    for (const endpoint of this.wsEndpoints.values()) endpoint.close();
    this.rtpEndpoints.clear();
    this.wsEndpoints.clear();
    this.channels.clear();
    this.bridges.clear();
    this.asteriskId = 'de:ad:be:ef:00:02';
  }

  // Something left by an earlier Parley process (crash): a Parley-named bridge and channel.
  seedLeftover(prefix: string): void {
    const channel = this.newChannel(`UnicastRTP/127.0.0.1:9-${prefix}`, 'default', 's', 'Up', `${prefix}-media`);
    channel.inStasis = true;
    this.bridges.set(prefix, { id: prefix, name: prefix, type: 'mixing', channels: [channel.id], createdAt: ariTimestamp() });
    channel.bridgeId = prefix;
  }

  async close(): Promise<void> {
    clearInterval(this.ticker);
    this.restart();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // --- HTTP ---------------------------------------------------------------------------------

  private authorized(req: IncomingMessage, url: URL): boolean {
    const expected = `${this.username}:${this.password}`;
    if (url.searchParams.get('api_key') === expected) return true;
    const header = req.headers.authorization ?? '';
    return header.startsWith('Basic ') && Buffer.from(header.slice(6), 'base64').toString('utf8') === expected;
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const send = (status: number, body?: unknown): void => {
      res.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' });
      res.end(body === undefined ? undefined : JSON.stringify(body));
    };
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      if (!url.pathname.startsWith('/ari/')) throw new HttpError(404, 'Not Found');
      if (!this.authorized(req, url)) {
        this.unauthorized++;
        res.setHeader('WWW-Authenticate', 'Basic realm="Asterisk REST Interface"');
        throw new HttpError(401, 'Authentication required');
      }
      const docs = /^\/ari\/api-docs\/(\w+)\.json$/.exec(url.pathname);
      if (docs) {
        if (!resourceNames().includes(docs[1]!) && docs[1] !== 'resources') throw new HttpError(404, 'Not Found');
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(servedApiDoc(docs[1]!, this.url));
        return;
      }
      const routed = routeOf(req.method ?? 'GET', url.pathname.slice('/ari'.length));
      if (routed === 'no-resource') throw new HttpError(404, 'Resource not found');
      if (routed === 'no-method') throw new HttpError(405, 'Method Not Allowed');
      const nickname = `${routed.resource}.${routed.operation.nickname}`;
      const query = Object.fromEntries(url.searchParams);
      this.requests.push({ nickname, query });
      const fault = this.faults.get(nickname)?.shift();
      if (fault) throw new HttpError(fault.status, fault.message);
      // Enumerated parameters are checked against the document, as Asterisk's generated
      // validators do for LIST-typed allowableValues.
      for (const parameter of routed.operation.parameters ?? []) {
        const value = query[parameter.name];
        const allowed = parameter.allowableValues?.values;
        if (value !== undefined && allowed && parameter.allowableValues?.valueType === 'LIST' && !allowed.includes(value)) {
          throw new HttpError(400, `Invalid value for ${parameter.name}`);
        }
      }
      const handler = this.handlers[nickname];
      if (handler === undefined) throw new HttpError(501, `${nickname} is documented but not served by the ARI double`);
      const text = Buffer.concat(chunks).toString('utf8');
      const body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      const result = await handler(routed.pathParams, query, body);
      send(result === undefined ? 204 : 200, result);
    } catch (error) {
      if (error instanceof HttpError) send(error.status, { message: error.message });
      else send(500, { message: (error as Error).message });
    }
  }

  private onUpgrade(req: IncomingMessage, socket: import('node:stream').Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', this.url);
    const reject = (status: number, text: string): void => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\n\r\n`);
    };
    if (url.pathname === '/ari/events') {
      const app = url.searchParams.get('app');
      if (!this.acceptEvents) return reject(503, 'Service Unavailable');
      if (!this.authorized(req, url)) {
        this.unauthorized++;
        return reject(401, 'Unauthorized');
      }
      if (!app) return reject(400, 'Bad Request');
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        this.eventSockets.set(ws, app);
        ws.on('close', () => this.eventSockets.delete(ws));
      });
      return;
    }
    const media = /^\/media\/([^/]+)$/.exec(url.pathname);
    if (media) {
      const connectionId = decodeURIComponent(media[1]!);
      const endpoint = [...this.wsEndpoints.values()].find((candidate) => candidate.connectionId === connectionId);
      const fault = this.faults.get('media.connect')?.shift();
      if (!endpoint || endpoint.connected || fault) return reject(fault?.status ?? 404, fault?.message ?? 'Not Found');
      if (req.headers['sec-websocket-protocol'] !== 'media') return reject(400, 'Bad Request');
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        endpoint.attach(ws);
        this.maybeStartMedia(endpoint.channelName);
      });
      return;
    }
    reject(404, 'Not Found');
  }

  // --- Asterisk behaviour -------------------------------------------------------------------

  private emit(type: string, fields: Record<string, unknown>, app?: string): void {
    for (const [socket, subscribed] of this.eventSockets) {
      if (app !== undefined && subscribed !== app) continue;
      socket.send(JSON.stringify({ type, timestamp: ariTimestamp(), ...fields, asterisk_id: this.asteriskId, application: subscribed }));
    }
  }

  private newChannel(name: string, context: string, exten: string, state: DoubleChannel['state'], id?: string): DoubleChannel {
    const channel: DoubleChannel = {
      id: id ?? `${Math.floor(Date.now() / 1000)}.${++this.channelSeq}`,
      name,
      state,
      context,
      exten,
      callerNumber: '',
      createdAt: ariTimestamp(),
      inStasis: false,
      variables: new Map(),
    };
    this.channels.set(channel.id, channel);
    return channel;
  }

  private enterStasis(app: string, channel: DoubleChannel): void {
    channel.inStasis = true;
    this.emit('StasisStart', { args: [], channel: channelJson(channel) }, app);
  }

  private enterStasisLater(app: string, channel: DoubleChannel): void {
    const delayMs = this.externalMediaStasisDelayMs;
    if (delayMs === 0) queueMicrotask(() => this.enterStasis(app, channel));
    else if (Number.isFinite(delayMs)) setTimeout(() => this.channels.has(channel.id) && this.enterStasis(app, channel), delayMs);
  }

  private channel(id: string): DoubleChannel {
    const channel = this.channels.get(id);
    if (!channel) throw new HttpError(404, 'Channel not found');
    return channel;
  }

  private stasisChannel(id: string): DoubleChannel {
    const channel = this.channel(id);
    if (!channel.inStasis) throw new HttpError(409, 'Channel not in Stasis application');
    return channel;
  }

  private bridge(id: string): DoubleBridge {
    const bridge = this.bridges.get(id);
    if (!bridge) throw new HttpError(404, 'Bridge not found');
    return bridge;
  }

  private answer(channel: DoubleChannel): void {
    if (channel.state === 'Up') return;
    channel.state = 'Up';
    this.emit('ChannelStateChange', { channel: channelJson(channel) });
  }

  private getVariable(channelId: string, variable: string | undefined): { value: string } {
    if (!variable) throw new HttpError(400, 'Variable name is required');
    // channels.json documents a 409 for a channel outside Stasis, but resource_channels.c
    // (22.10.1) reads any channel's variable: the media channel's can be read before its StasisStart.
    const channel = this.channel(channelId);
    const value = channel.variables.get(variable);
    if (value === undefined) throw new HttpError(404, 'Provided variable was not found');
    return { value };
  }

  private hangupRequest(channelId: string, reason: string | undefined): void {
    const cause = HANGUP_CAUSES[reason ?? 'normal'];
    if (reason !== undefined && cause === undefined) throw new HttpError(400, 'Invalid reason for hangup provided');
    this.hangup(this.channel(channelId), reason ?? 'normal');
  }

  private hangup(channel: DoubleChannel, reason: string): void {
    const [cause, causeText] = HANGUP_CAUSES[reason] ?? HANGUP_CAUSES.normal!;
    this.emit('ChannelHangupRequest', { cause, soft: false, channel: channelJson(channel) });
    if (channel.bridgeId) this.leaveBridge(channel);
    if (channel.inStasis) {
      channel.inStasis = false;
      this.emit('StasisEnd', { channel: channelJson(channel) });
    }
    this.channels.delete(channel.id);
    this.rtpEndpoints.get(channel.id)?.close();
    this.rtpEndpoints.delete(channel.id);
    const ws = [...this.wsEndpoints.values()].find((endpoint) => endpoint.channelName === channel.name);
    if (ws) {
      ws.close();
      this.wsEndpoints.delete(ws.channelName);
    }
    this.emit('ChannelDestroyed', { cause, cause_txt: causeText, channel: channelJson(channel) });
  }

  private leaveBridge(channel: DoubleChannel): void {
    const bridge = this.bridges.get(channel.bridgeId!);
    channel.bridgeId = undefined;
    if (!bridge) return;
    bridge.channels = bridge.channels.filter((id) => id !== channel.id);
    this.emit('ChannelLeftBridge', { bridge: bridgeJson(bridge), channel: channelJson(channel) });
  }

  private createBridge(query: Query): Record<string, unknown> {
    const id = query.bridgeId ?? randomUUID();
    if (this.bridges.has(id)) throw new HttpError(409, 'Bridge with the same bridgeId already exists');
    const bridge: DoubleBridge = { id, name: query.name ?? '', type: query.type ?? 'mixing', channels: [], createdAt: ariTimestamp() };
    this.bridges.set(id, bridge);
    this.emit('BridgeCreated', { bridge: bridgeJson(bridge) });
    return bridgeJson(bridge);
  }

  private destroyBridge(bridge: DoubleBridge): void {
    for (const id of [...bridge.channels]) {
      const channel = this.channels.get(id);
      if (channel) this.leaveBridge(channel);
    }
    this.bridges.delete(bridge.id);
    this.emit('BridgeDestroyed', { bridge: bridgeJson(bridge) });
  }

  private addChannels(bridgeId: string, list: string | undefined): void {
    if (!list) throw new HttpError(400, 'Channel not found');
    const bridge = this.bridge(bridgeId);
    const channels = list.split(',').map((id) => {
      const channel = this.channels.get(id);
      if (!channel) throw new HttpError(400, 'Channel not found');
      if (!channel.inStasis) throw new HttpError(422, 'Channel not in Stasis application');
      return channel;
    });
    for (const channel of channels) {
      if (channel.bridgeId === bridge.id) continue;
      if (channel.bridgeId) this.leaveBridge(channel);
      channel.bridgeId = bridge.id;
      bridge.channels.push(channel.id);
      this.emit('ChannelEnteredBridge', { bridge: bridgeJson(bridge), channel: channelJson(channel) });
    }
    for (const channel of channels) this.maybeStartMedia(channel.name);
  }

  // Media flows once an ExternalMedia channel shares a bridge with a caller (and, for
  // chan_websocket, once its socket is connected).
  private maybeStartMedia(channelName: string): void {
    const media = [...this.channels.values()].find((channel) => channel.name === channelName);
    if (!media?.externalMedia || !media.bridgeId) return;
    const caller = this.bridges.get(media.bridgeId)?.channels.map((id) => this.channels.get(id)).find((channel) => channel?.callerAudio !== undefined);
    if (!caller) return;
    if (media.externalMedia.transport === 'udp') this.rtpEndpoints.get(media.id)?.start(caller.callerAudio!);
    else [...this.wsEndpoints.values()].find((endpoint) => endpoint.channelName === media.name && endpoint.connected)?.start(caller.callerAudio!);
  }

  // POST /channels/externalMedia, checked in the order res/ari/resource_channels.c checks.
  private async externalMedia(query: Query, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const { app, format, channelId } = query;
    const encapsulation = query.encapsulation ?? 'rtp';
    const transport = query.transport ?? 'udp';
    const connectionType = query.connection_type ?? 'client';
    if (!app) throw new HttpError(400, 'app cannot be empty');
    const websocket = transport === 'websocket';
    const externalHost = query.external_host;
    if (!websocket || connectionType === 'client') {
      if (!externalHost) throw new HttpError(400, 'external_host cannot be empty');
    }
    if (!websocket && !/^[^:]+:\d+$/.test(externalHost!)) throw new HttpError(400, 'external_host must be <host>:<port>');
    if (!format) throw new HttpError(400, 'format cannot be empty');
    if (channelId && this.channels.has(channelId)) throw new HttpError(409, 'Channel with given unique ID already exists');
    if (!knownAsteriskFormats.has(format)) throw new HttpError(400, `Provided format (${format}) was not found`);
    const variables = (body.variables ?? {}) as Record<string, string>;
    if (encapsulation === 'rtp' && transport === 'udp') {
      const audioFormat = audioFormats[format];
      if (!audioFormat) throw new HttpError(501, `the ARI double cannot carry ${format} audio`);
      const endpoint = await RtpMediaEndpoint.open(audioFormat);
      const [host, port] = externalHost!.split(':');
      endpoint.setTarget(host!, Number(port));
      const channel = this.newChannel(`UnicastRTP/${externalHost}-0x${endpoint.port.toString(16)}`, 'default', 's', 'Up', channelId);
      channel.externalMedia = { format, transport: 'udp' };
      for (const [name, value] of Object.entries(variables)) channel.variables.set(name, String(value));
      channel.variables.set('UNICASTRTP_LOCAL_ADDRESS', '127.0.0.1');
      channel.variables.set('UNICASTRTP_LOCAL_PORT', String(endpoint.port));
      this.rtpEndpoints.set(channel.id, endpoint);
      this.enterStasisLater(app, channel);
      return channelJson(channel, true);
    }
    if (encapsulation === 'none' && websocket) {
      const connectionId = connectionType === 'server' ? randomUUID() : externalHost!;
      const clientUrl = connectionType === 'client' ? this.websocketClients[externalHost!] : undefined;
      if (connectionType === 'client' && !clientUrl) throw new HttpError(400, `No websocket_client.conf entry named ${externalHost}`);
      const channel = this.newChannel(`WebSocket/${connectionId}/0x${(++this.channelSeq).toString(16)}`, 'default', 's', 'Up', channelId);
      channel.externalMedia = { format, transport: 'websocket' };
      for (const [name, value] of Object.entries(variables)) channel.variables.set(name, String(value));
      channel.variables.set('MEDIA_WEBSOCKET_CONNECTION_ID', connectionId);
      channel.variables.set('MEDIA_WEBSOCKET_OPTIMAL_FRAME_SIZE', '640');
      const endpoint = new WsMediaEndpoint(connectionId, channel.name, () => this.hangup(channel, 'failure'), this.options.wsEndpoint);
      this.wsEndpoints.set(channel.name, endpoint);
      if (clientUrl) {
        // Asterisk dials out while originating; the app sees MEDIA_START possibly before the
        // REST answer.
        // Written only when the call has v() parameters (chan_websocket.c webchan_call).
        if (query.transport_data !== undefined) this.clientUriParams.set(externalHost!, query.transport_data);
        const dial = (): void => {
          this.clientDials++;
          const socket = new WebSocket(withUriParams(clientUrl, this.clientUriParams.get(externalHost!)), 'media');
          socket.once('open', () => {
            endpoint.attach(socket);
            this.maybeStartMedia(channel.name);
            // The originate thread runs Stasis once the dial is answered: a failed dial's channel
            // never enters the app, it is only destroyed.
            this.enterStasisLater(app, channel);
          });
          socket.once('error', () => this.hangup(channel, 'failure'));
        };
        if (this.clientDialWindowMs === undefined) dial();
        else setTimeout(dial, this.clientDialWindowMs);
      } else {
        this.enterStasisLater(app, channel);
      }
      if (this.externalMediaAnswerDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.externalMediaAnswerDelayMs));
      return channelJson(channel, true);
    }
    throw new HttpError(501, 'The encapsulation and/or transport is not supported');
  }
}

// chan_websocket's v(k=v,...) dial option (ExternalMedia's transport_data): added to the URI's
// query, commas turned into ampersands (channels/chan_websocket.c, res_websocket_client.c).
function withUriParams(url: string, transportData: string | undefined): string {
  const params = /v\(([^)]*)\)/.exec(transportData ?? '')?.[1];
  if (!params) return url;
  return `${url}${url.includes('?') ? '&' : '?'}${params.replaceAll(',', '&')}`;
}
