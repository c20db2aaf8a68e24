// The node's one typed configuration. Sources, later ones winning: the schema's defaults, an
// optional JSON file (PARLEY_CONFIG=path), then environment variables (PARLEY_* as listed in
// `envKeys`). Defaults run embedded mode on 127.0.0.1 with the demo bot.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { botConfigSchema, defaultBotRateHz } from '../engine/bot/bot-config.js';
import { DEFAULT_MAX_CALLS } from '../engine/call/call-cap.js';
import { rtpSessionOptionsSchema } from '../engine/media/media-session-options.js';
import { REALTIME_PRIORITY_MAX } from '../engine/native/realtime-priority.js';
import { asteriskConfigSchema } from '../gateway-adapters/asterisk/asterisk-config.js';
import { sipEndpointOptionsSchema } from '../gateway-adapters/sip/sip-endpoint-options.js';

// The hourly budget per address of a public node (pbx and direct mode) when none is configured.
const PUBLIC_PER_IP_PER_HOUR = 3;

export const configSchema = z.object({
  mode: z.enum(['embedded', 'pbx', 'direct']).default('embedded'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // SIGTERM/SIGINT drain: live calls and signaling sockets get this long to end on their own
  // before the rest are ended with reason `node_draining` (keep it under the orchestrator's kill
  // grace period, e.g. Kubernetes' terminationGracePeriodSeconds, 30 by default).
  drainTimeoutSeconds: z.number().int().min(0).max(3600).default(25),
  api: z
    .object({
      host: z.string().default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(8080),
      // Origins allowed to ask for a session grant; the API's own origin is always allowed.
      allowedOrigins: z.array(z.string()).default([]),
      // Signs grant tokens. Random per process when unset: set it (same on every node) to scale out.
      tokenSecret: z.string().min(32).optional(),
      // Bearer token of /admin. Random per process when unset (printed at start).
      adminToken: z.string().min(16).optional(),
      grantTtlSeconds: z.number().int().min(30).max(120).default(60),
      maxCallSeconds: z.number().int().min(10).max(7200).default(300),
    })
    .prefault({}),
  // The operator listener: /metrics, /healthz and the admin view (/admin.html, /admin/calls).
  // Its own address so none of it is on the public port; keep it on a private interface, as
  // /metrics and /healthz need no token there (the admin view needs api.adminToken).
  operator: z
    .object({
      host: z.string().default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(9090),
    })
    .prefault({}),
  limits: z
    .object({
      perIpActive: z.number().int().min(1).default(1),
      // Unset: 3 in pbx and direct mode (public buttons), none in embedded mode (a developer trying it).
      perIpPerHour: z.number().int().min(1).optional(),
      globalActive: z.number().int().min(1).default(50),
    })
    .prefault({}),
  turn: z
    .object({
      stunUrls: z.array(z.string()).default([]),
      turnUrls: z.array(z.string()).default([]),
      // coturn's static-auth-secret (use-auth-secret); never sent to browsers.
      secret: z.string().optional(),
      ttlSeconds: z.number().int().min(60).max(86_400).default(600),
    })
    .prefault({}),
  redisUrl: z.string().optional(),
  media: z
    .object({
      // Address media sockets bind to, and the one advertised to peers when it differs (NAT).
      host: z.string().default('127.0.0.1'),
      advertisedHost: z.string().optional(),
      // Media worker processes (docs/workers.md): how many (one per core by default), or 'inline'
      // (or 0) to run the media in the control plane's own process (tests, single-core benches).
      workers: z.union([z.literal('inline'), z.coerce.number().int().min(0).max(256)]).default(availableParallelism()),
      // Concurrent calls of every kind (browser, SIP, Asterisk) on this node; more are refused.
      maxCalls: z.number().int().min(1).default(DEFAULT_MAX_CALLS),
      // Each media worker's event loop at this SCHED_RR priority (1-99; 0: the normal class). Needs
      // CAP_SYS_NICE or RLIMIT_RTPRIO; refused, a worker logs it and runs at the normal class.
      workerRealtimePriority: z.number().int().min(0).max(REALTIME_PRIORITY_MAX).default(0),
      session: rtpSessionOptionsSchema
        .pick({
          botRateHz: true,
          vadAggressiveness: true,
          vadHangoverMs: true,
          bargeIn: true,
          bargeInMinSpeechMs: true,
          echoCancellation: true,
          echoMaxDelayMs: true,
          echoTailMs: true,
          jitterMinDelayMs: true,
          jitterMaxDelayMs: true,
          opusBitrateBps: true,
          opusComplexity: true,
          localPortMin: true,
          localPortMax: true,
        })
        // Unset: barge-in on, and the bot at 16 kHz, except with a Twilio Media Streams bot (see
        // the transform below).
        .extend({ bargeIn: z.boolean().optional(), botRateHz: rtpSessionOptionsSchema.shape.botRateHz.unwrap().optional() })
        .prefault({}),
    })
    .prefault({}),
  webrtc: z
    .object({
      // ICE servers for the embedded edge. None by default: nothing leaves the machine.
      iceServers: z.array(z.object({ urls: z.union([z.string(), z.array(z.string())]), username: z.string().optional(), credential: z.string().optional() })).default([]),
      additionalHostAddresses: z.array(z.string()).default(['127.0.0.1']),
    })
    .prefault({}),
  // PBX mode: Asterisk's ARI (see docs/asterisk.md).
  asterisk: asteriskConfigSchema,
  // Direct mode: Parley drives Janus's SIP plugin for each browser call, and Janus calls Parley's
  // own SIP endpoint (`sip`). docs/janus.md has the matching Janus configuration.
  janus: z
    .object({
      url: z.string().default('ws://127.0.0.1:8188'),
      // janus.jcfg token_auth_secret; required in direct mode. In PBX mode, set with botUri, it
      // sends browsers through Janus to Asterisk (else they reach the embedded WebRTC edge).
      tokenSecret: z.string().min(16).optional(),
      // The URI Janus calls. Direct mode: by default the SIP endpoint's own address and bot user.
      // PBX mode: Asterisk's bot extension, e.g. sip:7000@asterisk.internal.
      botUri: z.string().optional(),
      srtp: z.enum(['none', 'sdes_optional', 'sdes_mandatory']).default('sdes_optional'),
      setupTimeoutMs: z.number().int().min(1000).max(60_000).default(15_000),
    })
    .prefault({}),
  sip: sipEndpointOptionsSchema.prefault({}),
  // Empty url: the embedded demo bot answers. Keys and defaults: engine/bot/bot-config.ts.
  bot: botConfigSchema.prefault({}),
})
  // Keys a mode cannot start without, checked with the rest so a missing one stops the node with
  // the usual configuration message (exit 2) rather than later, inside the adapter.
  .superRefine((config, context) => {
    if (config.mode === 'pbx' && !config.asterisk.password) {
      context.addIssue({ code: 'custom', path: ['asterisk', 'password'], message: 'required in pbx mode (PARLEY_ARI_PASSWORD)' });
    }
    if (config.mode === 'direct' && !config.janus.tokenSecret) {
      context.addIssue({ code: 'custom', path: ['janus', 'tokenSecret'], message: 'required in direct mode (PARLEY_JANUS_TOKEN_SECRET): the token_auth_secret of janus.jcfg' });
    }
  })
  // On Twilio only the bot's own `clear` interrupts its audio: a Twilio bot runs its own VAD and
  // truncates its transcript by the marks that come back, so Parley's barge-in stays off for it
  // unless media.session.bargeIn is set explicitly. Its sessions run at its own 8 kHz unless
  // media.session.botRateHz is set (defaultBotRateHz); the embedded demo bot's at 16 kHz.
  .transform((config) => {
    const twilioBot = config.bot.url !== undefined && config.bot.protocol === 'twilio';
    const bargeIn = config.media.session.bargeIn ?? !twilioBot;
    const botRateHz = config.media.session.botRateHz ?? defaultBotRateHz(twilioBot ? 'twilio' : 'parley');
    const perIpPerHour = config.limits.perIpPerHour ?? (config.mode === 'embedded' ? undefined : PUBLIC_PER_IP_PER_HOUR);
    return {
      ...config,
      limits: { ...config.limits, perIpPerHour },
      media: { ...config.media, session: { ...config.media.session, bargeIn, botRateHz } },
    };
  });

export type Config = z.infer<typeof configSchema>;

// Environment variable -> dotted config path (and how to read its text).
export const envKeys: Record<string, { path: string; type: 'string' | 'number' | 'boolean' | 'list' }> = {
  PARLEY_MODE: { path: 'mode', type: 'string' },
  PARLEY_LOG_LEVEL: { path: 'logLevel', type: 'string' },
  PARLEY_DRAIN_TIMEOUT_SECONDS: { path: 'drainTimeoutSeconds', type: 'number' },
  PARLEY_API_HOST: { path: 'api.host', type: 'string' },
  PARLEY_API_PORT: { path: 'api.port', type: 'number' },
  PARLEY_ALLOWED_ORIGINS: { path: 'api.allowedOrigins', type: 'list' },
  PARLEY_TOKEN_SECRET: { path: 'api.tokenSecret', type: 'string' },
  PARLEY_ADMIN_TOKEN: { path: 'api.adminToken', type: 'string' },
  PARLEY_MAX_CALL_SECONDS: { path: 'api.maxCallSeconds', type: 'number' },
  PARLEY_OPERATOR_HOST: { path: 'operator.host', type: 'string' },
  PARLEY_OPERATOR_PORT: { path: 'operator.port', type: 'number' },
  PARLEY_LIMIT_PER_IP_ACTIVE: { path: 'limits.perIpActive', type: 'number' },
  PARLEY_LIMIT_PER_IP_PER_HOUR: { path: 'limits.perIpPerHour', type: 'number' },
  PARLEY_LIMIT_GLOBAL_ACTIVE: { path: 'limits.globalActive', type: 'number' },
  PARLEY_STUN_URLS: { path: 'turn.stunUrls', type: 'list' },
  PARLEY_TURN_URLS: { path: 'turn.turnUrls', type: 'list' },
  PARLEY_TURN_SECRET: { path: 'turn.secret', type: 'string' },
  REDIS_URL: { path: 'redisUrl', type: 'string' },
  PARLEY_MEDIA_HOST: { path: 'media.host', type: 'string' },
  PARLEY_MEDIA_ADVERTISED_HOST: { path: 'media.advertisedHost', type: 'string' },
  PARLEY_MEDIA_WORKERS: { path: 'media.workers', type: 'string' },
  PARLEY_MAX_CALLS: { path: 'media.maxCalls', type: 'number' },
  PARLEY_MEDIA_WORKER_REALTIME_PRIORITY: { path: 'media.workerRealtimePriority', type: 'number' },
  PARLEY_RTP_PORT_MIN: { path: 'media.session.localPortMin', type: 'number' },
  PARLEY_RTP_PORT_MAX: { path: 'media.session.localPortMax', type: 'number' },
  PARLEY_BOT_RATE_HZ: { path: 'media.session.botRateHz', type: 'number' },
  PARLEY_BARGE_IN: { path: 'media.session.bargeIn', type: 'boolean' },
  PARLEY_BARGE_IN_MIN_SPEECH_MS: { path: 'media.session.bargeInMinSpeechMs', type: 'number' },
  PARLEY_ECHO_CANCELLATION: { path: 'media.session.echoCancellation', type: 'boolean' },
  PARLEY_ARI_URL: { path: 'asterisk.url', type: 'string' },
  PARLEY_ARI_USERNAME: { path: 'asterisk.username', type: 'string' },
  PARLEY_ARI_PASSWORD: { path: 'asterisk.password', type: 'string' },
  PARLEY_ARI_APP: { path: 'asterisk.app', type: 'string' },
  PARLEY_ASTERISK_CONTEXTS: { path: 'asterisk.allowedContexts', type: 'list' },
  PARLEY_ASTERISK_TRANSPORT: { path: 'asterisk.transport', type: 'string' },
  PARLEY_ASTERISK_FORMAT: { path: 'asterisk.format', type: 'string' },
  PARLEY_ASTERISK_AUDIOSOCKET_PORT: { path: 'asterisk.audiosocket.listenPort', type: 'number' },
  PARLEY_JANUS_URL: { path: 'janus.url', type: 'string' },
  PARLEY_JANUS_TOKEN_SECRET: { path: 'janus.tokenSecret', type: 'string' },
  PARLEY_JANUS_BOT_URI: { path: 'janus.botUri', type: 'string' },
  PARLEY_SIP_HOST: { path: 'sip.host', type: 'string' },
  PARLEY_SIP_PORT: { path: 'sip.port', type: 'number' },
  PARLEY_SIP_ALLOWED_SOURCES: { path: 'sip.allowedSources', type: 'list' },
  PARLEY_SIP_SRTP: { path: 'sip.srtp', type: 'string' },
  PARLEY_BOT_URL: { path: 'bot.url', type: 'string' },
  PARLEY_BOT_PROTOCOL: { path: 'bot.protocol', type: 'string' },
  PARLEY_BOT_AUTHORIZATION: { path: 'bot.authorization', type: 'string' },
  PARLEY_BOT_RECONNECT_ATTEMPTS: { path: 'bot.reconnectAttempts', type: 'number' },
  PARLEY_BOT_RECONNECT_BACKOFF_MS: { path: 'bot.reconnectBackoffMs', type: 'number' },
};

function parseEnvValue(name: string, text: string, type: 'string' | 'number' | 'boolean' | 'list'): unknown {
  switch (type) {
    case 'number': {
      const value = Number(text);
      if (!Number.isFinite(value)) throw new ConfigError(`${name} must be a number, got "${text}"`);
      return value;
    }
    case 'boolean':
      if (text !== 'true' && text !== 'false') throw new ConfigError(`${name} must be true or false, got "${text}"`);
      return text === 'true';
    case 'list':
      return text.split(',').map((item) => item.trim()).filter((item) => item.length > 0);
    default:
      return text;
  }
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys.at(-1)!] = value;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  let raw: Record<string, unknown> = {};
  if (env.PARLEY_CONFIG) {
    try {
      raw = JSON.parse(readFileSync(env.PARLEY_CONFIG, 'utf8')) as Record<string, unknown>;
    } catch (error) {
      throw new ConfigError(`cannot read PARLEY_CONFIG=${env.PARLEY_CONFIG}: ${(error as Error).message}`);
    }
  }
  for (const [name, { path, type }] of Object.entries(envKeys)) {
    const text = env[name];
    if (text !== undefined && text !== '') setPath(raw, path, parseEnvValue(name, text, type));
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  return parsed.data;
}
