// Builds a running Parley node from a Config: the media engine, the browser gateway of the mode,
// the bot, the stores, and the public API on uWebSockets.js. main.ts runs it; tests start it too.
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { CallRegistry } from '../engine/call/call-registry.js';
import { CallService } from '../engine/call/call-service.js';
import { Drain, DRAIN_REASON } from '../engine/drain.js';
import { flushBotFrames } from '../engine/bot/bot-frame-batch.js';
import { botStarterOf } from '../engine/bot/bot-starter.js';
import { MediaEngine } from '../engine/media/media-engine.js';
import { WorkerPool } from '../engine/workers/worker-pool.js';
import { AsteriskAdapter } from '../gateway-adapters/asterisk/asterisk-adapter.js';
import { AriConnectError } from '../gateway-adapters/asterisk/errors.js';
import { ASTERISK_PCM_LEG } from '../gateway-adapters/asterisk/asterisk-pcm-leg.js';
import { WebRtcEdge } from '../gateway-adapters/webrtc/webrtc-edge.js';
import { WEBRTC_LEG, type WebRtcLegSettings } from '../gateway-adapters/webrtc/webrtc-worker-leg.js';
import { ConfigError, type Config } from './config.js';
import { GrantService } from './grants/grant-service.js';
import { RedisSessionRecords } from './grants/redis-session-records.js';
import { MemorySessionRecords } from './grants/session-records.js';
import { SessionTokens } from './grants/session-token.js';
import type { HttpServer } from './http/http-types.js';
import { UwsServer } from './http/uws-server.js';
import { MemoryCallLimits } from './limits/memory-call-limits.js';
import { RedisCallLimits } from './limits/redis-call-limits.js';
import { Health, tcpReachable } from './health.js';
import { mountOperator } from './routes/operator-routes.js';
import { mountApi, WEB_ROOT } from './server.js';
import { DiagnosticsLog } from './signaling/diagnostics-log.js';
import type { BrowserGateway } from './signaling/browser-gateway.js';
import { startDirectMode } from './direct-mode.js';
import { pbxJanusGateway } from './janus-gateway.js';

export interface RunningNode {
  url: string;
  port: number;
  // The operator listener (/metrics, /healthz, /admin.html, /admin/calls).
  operatorUrl: string;
  adminToken: string;
  calls: CallRegistry;
  diagnostics: DiagnosticsLog;
  drain: Drain;
  // Drains (see drainAndClose) for `timeoutMs` (config.drainTimeoutSeconds by default), then
  // closes. Called again while draining: ends the rest at once (a second SIGTERM).
  shutdown(timeoutMs?: number): Promise<void>;
}

// Embedded mode's browser gateway: werift's peer connections and their media run in a media
// worker (only the SDP offer and answer cross), or in this process when workers are off. PBX mode
// keeps it when Janus is not configured (browsers reach the node directly while Asterisk's calls
// arrive through ARI). Each call takes its slot under the node's cap before any media is made.
function embeddedGateway(config: Config, calls: CallService, workers: WorkerPool | undefined): BrowserGateway {
  if (workers) {
    return {
      callMediaOptions: true,
      connect: async (callId, offer, _logger, media) => {
        const { leg, result } = await calls.createLeg(callId, WEBRTC_LEG, { offerSdp: offer, media }, calls.admit('webrtc'));
        return { answerSdp: String(result.answerSdp), media: leg, close: async (reason) => void (await leg.close(reason)) };
      },
    };
  }
  const edge = new WebRtcEdge(calls.inline.engine, {
    iceServers: config.webrtc.iceServers,
    additionalHostAddresses: config.webrtc.additionalHostAddresses,
    session: config.media.session,
  });
  return {
    callMediaOptions: true,
    connect: async (callId, offer, callLogger, media) => {
      const slot = calls.admit('webrtc');
      const call = await edge.accept(callId, offer, callLogger, media).catch((error: unknown) => {
        slot.release();
        throw error;
      });
      return { ...call, media: calls.inlineLeg(call.media, slot) };
    },
  };
}

// RFC 6455 section 7.4.1: the server is going away.
const WS_GOING_AWAY = 1001;

function urlOf(host: string, port: number): string {
  return `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
}

// The media worker's entry: the engine's worker runtime with the adapters' leg kinds.
export const MEDIA_WORKER_ENTRY = fileURLToPath(new URL('./media-worker-main.ts', import.meta.url));

// Workers carry every call's media: the RTP legs on Parley's own sockets (direct mode's SIP calls,
// PBX mode's ExternalMedia over RTP), the embedded edge's werift legs, and PBX mode's
// chan_websocket and AudioSocket links (docs/workers.md).
function mediaWorkerPool(config: Config, logger: Logger): WorkerPool | undefined {
  const count = config.media.workers;
  if (count === 'inline' || count === 0) {
    if (config.media.workerRealtimePriority > 0) logger.warn({ priority: config.media.workerRealtimePriority }, 'PARLEY_MEDIA_WORKER_REALTIME_PRIORITY is ignored: media workers are inline');
    return undefined;
  }
  const { localPortMin, localPortMax } = config.media.session;
  const webrtc: WebRtcLegSettings = { iceServers: config.webrtc.iceServers, additionalHostAddresses: config.webrtc.additionalHostAddresses, session: config.media.session };
  return new WorkerPool({
    count,
    entry: MEDIA_WORKER_ENTRY,
    legKinds: { [WEBRTC_LEG]: webrtc, ...(config.mode === 'pbx' ? { [ASTERISK_PCM_LEG]: {} } : {}) },
    bot: config.bot,
    logLevel: config.logLevel,
    realtimePriority: config.media.workerRealtimePriority,
    portRange: localPortMin !== undefined && localPortMax !== undefined ? { min: localPortMin, max: localPortMax } : undefined,
    logger,
  });
}

export async function startNode(config: Config, logger: Logger, http: HttpServer = new UwsServer(), operatorHttp: HttpServer = new UwsServer()): Promise<RunningNode> {
  // The bots of in-process legs (every call, with workers inline) send their batch in the tick.
  const media = new MediaEngine({ logger, afterTick: flushBotFrames });
  const drain = new Drain();
  // A configured bot URL gets a connector of the configured protocol; none, the demo bot.
  const startBot = botStarterOf(config.bot, logger);
  // RTP legs (SIP endpoint, Asterisk ExternalMedia over RTP) run in media worker processes unless
  // configured inline; the rest of the media stays in this process (docs/workers.md).
  const workers = mediaWorkerPool(config, logger);
  await workers?.start();
  const callService = new CallService({ engine: media, startBot, host: workers, maxCallMs: config.api.maxCallSeconds * 1000, maxCalls: config.media.maxCalls, logger });
  const { calls } = callService;
  // Direct mode: browsers reach Janus, whose SIP plugin calls this node's own SIP endpoint.
  const direct = config.mode === 'direct' ? await startDirectMode(config, { calls: callService, logger }) : undefined;
  // PBX mode with Janus configured: browsers reach Janus, whose SIP plugin calls Asterisk's bot
  // extension; the call comes back through ARI like any other Asterisk call.
  const pbxJanus = config.mode === 'pbx' ? pbxJanusGateway(config, logger) : undefined;
  const gateway = direct?.gateway ?? pbxJanus ?? embeddedGateway(config, callService, workers);
  const redis = config.redisUrl ? new Redis(config.redisUrl, { maxRetriesPerRequest: 2 }) : undefined;
  const limits = redis ? new RedisCallLimits(redis, config.limits) : new MemoryCallLimits(config.limits);
  const records = redis ? new RedisSessionRecords(redis) : new MemorySessionRecords();
  const tokens = new SessionTokens(config.api.tokenSecret ?? randomBytes(32).toString('hex'));
  const adminToken = config.api.adminToken ?? randomBytes(18).toString('base64url');
  const diagnostics = new DiagnosticsLog(logger);

  // The node's own origins are added once the port is bound (api.port 0 picks one); the grant
  // service reads this array on each request.
  const allowedOrigins = [...config.api.allowedOrigins];
  const grants = new GrantService(
    {
      allowedOrigins,
      grantTtlSeconds: config.api.grantTtlSeconds,
      maxCallSeconds: config.api.maxCallSeconds,
      stunUrls: config.turn.stunUrls,
      turnUrls: config.turn.turnUrls,
      turnSecret: config.turn.secret,
      turnTtlSeconds: config.turn.ttlSeconds,
      callMediaOptions: gateway.callMediaOptions,
    },
    tokens,
    records,
    limits,
  );
  // PBX mode: calls arrive from Asterisk through ARI, next to the API.
  const asterisk =
    config.mode === 'pbx'
      ? new AsteriskAdapter({
          config: config.asterisk,
          mediaHost: config.media.host,
          externalHost: config.asterisk.externalHost ?? config.media.advertisedHost,
          session: config.media.session,
          calls: callService,
          logger,
        })
      : undefined;
  // The first ARI connection must succeed: a refused password or a wrong URL is a configuration
  // error, reported as one (naming the key) rather than as a stack trace.
  await asterisk?.start().catch((error: unknown) => {
    throw error instanceof AriConnectError ? new ConfigError(error.message) : error;
  });

  // What /healthz checks: the native engine answers; in pbx mode ARI's event socket is up; Janus
  // accepts connections when this node drives it; Redis is ready when configured.
  const health = new Health();
  health.add('mediaEngine', () => Number.isFinite(MediaEngine.monotonicUs()));
  // One worker restarting leaves the node serving; none up, it cannot take an RTP call.
  if (workers) health.add('mediaWorkers', () => workers.liveWorkers > 0);
  if (asterisk) {
    health.add('ari', () => asterisk.ariConnected);
  }
  if (direct || pbxJanus) health.add('janus', tcpReachable(config.janus.url));
  if (redis) health.add('redis', () => redis.status === 'ready');
  mountApi({
    http,
    grants,
    tokens,
    records,
    limits,
    gateway,
    calls: callService,
    drain,
    diagnostics,
    maxCallSeconds: config.api.maxCallSeconds,
    logger,
    webRoot: WEB_ROOT,
  });
  mountOperator({ http: operatorHttp, calls, diagnostics, health, adminToken, webRoot: WEB_ROOT });
  const boundPort = await http.listen(config.api.host, config.api.port);
  // The node's own page may always ask for grants, under either loopback name.
  allowedOrigins.push(`http://${config.api.host}:${boundPort}`, ...(config.api.host === '127.0.0.1' ? [`http://localhost:${boundPort}`] : []));
  const operatorPort = await operatorHttp.listen(config.operator.host, config.operator.port);
  if (!/^(127\.|::1$|localhost$)/.test(config.operator.host)) {
    logger.warn({ host: config.operator.host, port: operatorPort }, 'operator listener is not on loopback: /metrics and /healthz need no token there, keep it on a private network');
  }
  // The drain: nothing new from here on; what is live goes on until it ends or `timeoutMs`
  // passes (or a second signal), then the rest end with DRAIN_REASON each the way its protocol
  // says (browser `ended`, SIP BYE, ARI hangup, bot `stop`); the public port closes last.
  let shutdown: Promise<void> | undefined;
  const drainAndClose = async (timeoutMs: number): Promise<void> => {
    // The operator listener stays up while draining, so /healthz can say so (503).
    health.startDraining();
    asterisk?.refuseNewCalls();
    direct?.sip.refuseNewCalls();
    logger.info({ liveCalls: calls.bySource(), signalingSockets: http.openSockets, timeoutMs }, 'draining: no new calls, waiting for live calls to end');
    const outcome = await drain.settle(Promise.all([calls.whenEmpty(), http.whenNoSockets()]), timeoutMs);
    logger.info({ outcome, elapsedMs: Math.round(drain.elapsedMs), endingCalls: calls.bySource(), signalingSockets: http.openSockets }, 'drain over: ending what is left');
    calls.endAll(DRAIN_REASON);
    await asterisk?.stop(DRAIN_REASON);
    await http.close({ code: WS_GOING_AWAY, reason: DRAIN_REASON });
    await direct?.close();
    media.stop();
    await workers?.stop();
    redis?.disconnect();
    await operatorHttp.close();
  };
  return {
    url: urlOf(config.api.host, boundPort),
    port: boundPort,
    operatorUrl: urlOf(config.operator.host, operatorPort),
    adminToken,
    calls,
    diagnostics,
    drain,
    shutdown(timeoutMs = config.drainTimeoutSeconds * 1000) {
      if (!drain.begin()) {
        drain.hurry();
        return shutdown!;
      }
      shutdown = drainAndClose(timeoutMs);
      return shutdown;
    },
  };
}
