// A Parley node in its own process for the bounded-flood test: the public API and operator
// listener (embedded mode, startNode) plus the direct-mode SIP endpoint with a real bot connector
// to the test's bot. Run with --expose-gc; over IPC it reports its addresses, then answers
// `measure` with its RSS after a full GC, and `state` with what it still holds.
import { pino } from 'pino';
import { configSchema } from '../../api/config.js';
import { startNode } from '../../api/node.js';
import { botConfigSchema } from '../../engine/bot/bot-config.js';
import { botConnectorStarter } from '../../engine/bot/bot-connector.js';
import { CallRegistry } from '../../engine/call/call-registry.js';
import { CallService } from '../../engine/call/call-service.js';
import { MediaEngine } from '../../engine/media/media-engine.js';
import { SipEndpoint } from '../../gateway-adapters/sip/sip-endpoint.js';

export type FloodNodeRequest = { type: 'measure' } | { type: 'state' } | { type: 'stop' };
export type FloodNodeReply =
  | { type: 'ready'; url: string; operatorUrl: string; sipPort: number }
  | { type: 'measure'; rssBytes: number; heapUsedBytes: number }
  | { type: 'state'; sipTransactions: number; sipCalls: number; calls: number };

const botUrl = process.env.FLOOD_BOT_URL;
if (!botUrl || !process.send || typeof globalThis.gc !== 'function') throw new Error('run by bounded-floods.test.ts: FLOOD_BOT_URL, an IPC channel and --expose-gc');
const gc = globalThis.gc;
const send = (reply: FloodNodeReply): void => void process.send!(reply);

// The page origin the test's grants and signaling sockets claim.
export const FLOOD_ORIGIN = 'https://flood.example';
const logger = pino({ level: 'silent' });
const bot = { ...botConfigSchema.parse({ url: botUrl, stuckTimeoutMs: 300, reconnectAttempts: 0 }), url: botUrl };
const config = configSchema.parse({
  logLevel: 'silent',
  api: { port: 0, allowedOrigins: [FLOOD_ORIGIN] },
  operator: { port: 0 },
  limits: { perIpActive: 10_000, perIpPerHour: 10_000, globalActive: 10_000 },
  bot,
});
const node = await startNode(config, logger);
const engine = new MediaEngine({ logger });
const calls = new CallRegistry();
// T1 of 20 ms: refused INVITE transactions are forgotten after 64*T1 = 1.28 s, not 32 s.
const sip = await SipEndpoint.start(
  { port: 0, t1Ms: 20, t2Ms: 160, maxCalls: 5 },
  { calls: new CallService({ engine, calls, startBot: botConnectorStarter(bot, logger), maxCallMs: 120_000, logger }), logger, media: { host: '127.0.0.1', session: { bargeIn: false } } },
);

process.on('message', (request: FloodNodeRequest) => {
  switch (request.type) {
    case 'measure':
      // Twice: the first pass can leave objects only freed by the next (weak refs, finalizers).
      gc();
      gc();
      send({ type: 'measure', rssBytes: process.memoryUsage.rss(), heapUsedBytes: process.memoryUsage().heapUsed });
      return;
    case 'state':
      send({ type: 'state', sipTransactions: sip.openTransactions, sipCalls: sip.activeCalls, calls: calls.size });
      return;
    case 'stop':
      void (async () => {
        await sip.close();
        engine.stop();
        await node.shutdown(0);
        process.exit(0);
      })();
  }
});
send({ type: 'ready', url: node.url, operatorUrl: node.operatorUrl, sipPort: sip.local.port });
