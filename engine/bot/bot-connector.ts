// The BotStarter for a configured bot URL: one BotConnection per call, speaking the configured
// wire format.
import type { Logger } from 'pino';
import type { BotStarter, CallInfo } from '../call/call.js';
import type { CallMedia } from '../call/call-media.js';
import { callLogger } from '../logger.js';
import type { BotConnectorOptions } from './bot-config.js';
import { BotConnection } from './bot-connection.js';
import type { BotWireProtocolFactory } from './bot-wire-protocol.js';
import { ParleyProtocol } from './parley-protocol/parley-protocol.js';
import { TwilioProtocol } from './twilio-media-streams/twilio-protocol.js';

const protocols: Record<BotConnectorOptions['protocol'], BotWireProtocolFactory> = {
  parley: (media, info) => new ParleyProtocol(media, info),
  twilio: (media, info) => new TwilioProtocol(media, info),
};

export function botConnectorStarter(options: BotConnectorOptions, logger: Logger): (media: CallMedia, info: CallInfo) => BotConnection {
  const starter = (media: CallMedia, info: CallInfo): BotConnection => {
    const connection = new BotConnection(media, info, protocols[options.protocol](media, info), options, callLogger(info.callId, logger).child({ bot: options.protocol }));
    connection.start();
    return connection;
  };
  return starter satisfies BotStarter;
}
