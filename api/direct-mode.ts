// Direct mode's pieces (no PBX): the SIP endpoint Janus calls, and the browser gateway that drives
// Janus's SIP plugin for each browser call. SIP calls that did not come through the signaling
// socket (a PBX or a SIP phone on the allowlist dialing the bot) get the bot from the endpoint.
import type { Logger } from 'pino';
import type { CallService } from '../engine/call/call-service.js';
import { SipEndpoint } from '../gateway-adapters/sip/sip-endpoint.js';
import { ConfigError, type Config } from './config.js';
import { janusSipGateway } from './janus-gateway.js';
import type { BrowserGateway } from './signaling/browser-gateway.js';

export interface DirectMode {
  gateway: BrowserGateway;
  sip: SipEndpoint;
  close(): Promise<void>;
}

export async function startDirectMode(config: Config, deps: { calls: CallService; logger: Logger }): Promise<DirectMode> {
  const { tokenSecret } = config.janus;
  if (!tokenSecret) throw new ConfigError('direct mode needs janus.tokenSecret (PARLEY_JANUS_TOKEN_SECRET): the token_auth_secret of janus.jcfg');
  const sip = await SipEndpoint.start(config.sip, {
    calls: deps.calls,
    logger: deps.logger,
    media: { host: config.media.host, advertisedHost: config.media.advertisedHost, session: config.media.session },
  });
  const { address, port } = sip.local;
  const botUri = config.janus.botUri ?? `sip:${config.sip.botUser}@${address}:${port}`;
  const gateway = janusSipGateway(config, { tokenSecret, botUri }, deps.logger, sip);
  return { gateway, sip, close: () => sip.close() };
}
