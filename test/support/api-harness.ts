// Starts the public edge and the operator listener on 127.0.0.1 with memory stores and an injected
// browser gateway, for tests that exercise HTTP and signaling without caring how media is carried.
import { Drain } from '../../engine/drain.js';
import { once } from 'node:events';
import { pino } from 'pino';
import { expect, vi } from 'vitest';
import WebSocket from 'ws';
import type { CallRegistry } from '../../engine/call/call-registry.js';
import type { BotStarter } from '../../engine/call/call.js';
import { CallService } from '../../engine/call/call-service.js';
import { MediaEngine } from '../../engine/media/media-engine.js';
import { MediaSession } from '../../engine/media/media-session.js';
import { GrantService, type GrantConfig } from '../../api/grants/grant-service.js';
import { MemorySessionRecords, type SessionRecords } from '../../api/grants/session-records.js';
import { SessionTokens } from '../../api/grants/session-token.js';
import type { HttpServer } from '../../api/http/http-types.js';
import { UwsServer } from '../../api/http/uws-server.js';
import type { CallLimits, CallLimitsConfig } from '../../api/limits/call-limits.js';
import { MemoryCallLimits } from '../../api/limits/memory-call-limits.js';
import { Health } from '../../api/health.js';
import { mountOperator } from '../../api/routes/operator-routes.js';
import { mountApi, WEB_ROOT } from '../../api/server.js';
import type { BrowserCallLeg, BrowserGateway } from '../../api/signaling/browser-gateway.js';
import { DiagnosticsLog } from '../../api/signaling/diagnostics-log.js';

export const TEST_ORIGIN = 'https://shop.example';
export const ADMIN_TOKEN = 'admin-token-for-tests-0123456789';

export interface ApiHarness {
  baseUrl: string;
  wsUrl: string;
  port: number;
  operatorUrl: string;
  health: Health;
  calls: CallRegistry;
  diagnostics: DiagnosticsLog;
  tokens: SessionTokens;
  close(): Promise<void>;
}

// A test's gateway may hand back a leg over a bare MediaSession of its own engine (the werift edge
// as the node wires it): the harness makes it a leg of the call service, as api/node.ts does.
type TestCallLeg = BrowserCallLeg | (Omit<BrowserCallLeg, 'media'> & { media: MediaSession; transportEnded?: Promise<string> });

export interface HarnessOptions {
  gateway: { connect(...args: Parameters<BrowserGateway['connect']>): Promise<TestCallLeg> };
  startBot: BotStarter;
  grant?: Partial<GrantConfig>;
  limits?: Partial<CallLimitsConfig>;
  callLimits?: CallLimits;
  // The node-wide cap on concurrent calls (the call service's default when absent).
  maxCalls?: number;
  records?: SessionRecords;
  http?: HttpServer;
  tokenSecret?: string;
}

export async function startApi(options: HarnessOptions): Promise<ApiHarness> {
  const http = options.http ?? new UwsServer();
  const tokens = new SessionTokens(options.tokenSecret ?? 'a-test-secret-that-is-long-enough-0123456789');
  const records = options.records ?? new MemorySessionRecords();
  const limits = options.callLimits ?? new MemoryCallLimits({ perIpActive: 1, perIpPerHour: 3, globalActive: 50, ...options.limits });
  const grantConfig: GrantConfig = {
    allowedOrigins: [TEST_ORIGIN],
    grantTtlSeconds: 60,
    maxCallSeconds: 300,
    stunUrls: [],
    turnUrls: [],
    turnTtlSeconds: 600,
    callMediaOptions: true,
    ...options.grant,
  };
  const drain = new Drain();
  const logger = pino({ level: 'silent' });
  const engine = new MediaEngine({ logger });
  const service = new CallService({ engine, startBot: options.startBot, maxCallMs: grantConfig.maxCallSeconds * 1000, maxCalls: options.maxCalls, logger });
  const { calls } = service;
  const gateway: BrowserGateway = {
    callMediaOptions: true,
    connect: async (...args) => {
      // As the node's embedded gateway: a slot under the node's cap before any media is made.
      const slot = service.admit('webrtc');
      const leg = await options.gateway.connect(...args).catch((error: unknown) => {
        slot.release();
        throw error;
      });
      if (leg.media instanceof MediaSession) return { ...leg, media: service.inlineLeg(leg.media, slot) } as BrowserCallLeg;
      slot.release();
      return leg as BrowserCallLeg;
    },
  };
  const diagnostics = new DiagnosticsLog(logger);
  const health = new Health();
  const operator = new UwsServer();
  mountOperator({ http: operator, calls, diagnostics, health, adminToken: ADMIN_TOKEN, webRoot: WEB_ROOT });
  const operatorPort = await operator.listen('127.0.0.1', 0);
  mountApi({
    http,
    grants: new GrantService(grantConfig, tokens, records, limits),
    tokens,
    records,
    limits,
    gateway,
    calls: service,
    drain,
    diagnostics,
    maxCallSeconds: grantConfig.maxCallSeconds,
    logger,
    webRoot: WEB_ROOT,
  });
  const port = await http.listen('127.0.0.1', 0);
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    port,
    operatorUrl: `http://127.0.0.1:${operatorPort}`,
    health,
    calls,
    diagnostics,
    tokens,
    close: async () => {
      calls.endAll('shutdown');
      engine.stop();
      await http.close();
      await operator.close();
    },
  };
}

// `requestBody`: the grant request as sent (the button sends `{}`).
export async function requestGrant(baseUrl: string, origin = TEST_ORIGIN, requestBody = '{}'): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const response = await fetch(`${baseUrl}/v1/sessions`, { method: 'POST', headers: { origin, 'content-type': 'application/json' }, body: requestBody });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
}

export interface SignalSession {
  socket: WebSocket;
  // Every message the node sent, in order.
  messages: Array<Record<string, unknown>>;
  // The first message of `type` (already received or within `timeoutMs`), errors included.
  next(type: string, timeoutMs?: number): Promise<Record<string, unknown>>;
}

// A grant and its signaling socket, open.
export async function openSignalSession(api: ApiHarness): Promise<SignalSession> {
  const { status, body } = await requestGrant(api.baseUrl);
  expect(status).toBe(201);
  const socket = new WebSocket(`${api.wsUrl}/v1/signal?token=${body.token as string}`, { headers: { origin: TEST_ORIGIN } });
  const messages: Array<Record<string, unknown>> = [];
  socket.on('message', (data: Buffer) => messages.push(JSON.parse(data.toString()) as Record<string, unknown>));
  await once(socket, 'open');
  return {
    socket,
    messages,
    next: async (type, timeoutMs = 10_000) => {
      await vi.waitFor(() => expect(messages.map((m) => m.type)).toContain(type), { timeout: timeoutMs, interval: 10 });
      return messages.find((m) => m.type === type)!;
    },
  };
}
