// The node's bot: a connector of the configured URL and protocol, or the embedded demo bot when
// no URL is set. The control plane and every media worker build theirs from the same config.
import type { Logger } from 'pino';
import type { BotStarter } from '../call/call.js';
import type { BotConfig } from './bot-config.js';
import { botConnectorStarter } from './bot-connector.js';
import { demoBotStarter } from './demo-bot/demo-bot.js';

export function botStarterOf(bot: BotConfig, logger: Logger): BotStarter {
  return bot.url ? botConnectorStarter({ ...bot, url: bot.url }, logger) : demoBotStarter(logger);
}
