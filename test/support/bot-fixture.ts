// Per-test bot setup for connector tests: a bot server, a call connected to it, and cleanup after
// each test (registered with vitest's afterEach).
import type { Logger } from 'pino';
import { afterEach } from 'vitest';
import type { ServerOptions } from 'ws';
import type { BotConfig } from '../../engine/bot/bot-config.js';
import type { CallInfo } from '../../engine/call/call.js';
import type { RtpSessionOptions } from '../../engine/media/media-session-options.js';
import { startBotCall, type BotCall } from './bot-call.js';
import { BotServer, type BotPeer } from './bot-server.js';

export interface ConnectOptions {
  bot?: Partial<BotConfig>;
  session?: RtpSessionOptions;
  info?: Partial<CallInfo>;
  logger?: Logger;
  server?: ServerOptions;
}

export interface BotFixture {
  server?: BotServer;
  call?: BotCall;
  // A bot server and a call to it.
  start(options?: ConnectOptions): Promise<{ server: BotServer; call: BotCall }>;
  // The same, once the bot has the call's opening messages (start; connected + start for Twilio).
  connect(options?: ConnectOptions): Promise<{ server: BotServer; call: BotCall; bot: BotPeer }>;
}

export function botFixture(): BotFixture {
  const fixture: BotFixture = {
    async start(options = {}) {
      const server = (fixture.server = await BotServer.start(options.server));
      const call = (fixture.call = await startBotCall({ url: server.url, ...options.bot }, options.session, options.info, options.logger));
      return { server, call };
    },
    async connect(options = {}) {
      const { server, call } = await fixture.start(options);
      const bot = await server.peer();
      const opening = options.bot?.protocol === 'twilio' ? 2 : 1;
      await bot.until(() => bot.events.length >= opening);
      return { server, call, bot };
    },
  };
  afterEach(async () => {
    fixture.call?.close();
    await fixture.server?.close();
    fixture.call = undefined;
    fixture.server = undefined;
  });
  return fixture;
}
