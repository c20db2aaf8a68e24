// The Janus SIP gateway from the config, for the two modes that put Janus in front of the browser:
// direct mode (Janus calls this node's SIP endpoint) and PBX mode (Janus calls Asterisk's bot
// extension, and the call comes back to this node through ARI).
import type { Logger } from 'pino';
import { JanusSipGateway } from '../gateway-adapters/janus/janus-sip-gateway.js';
import type { SipEndpoint } from '../gateway-adapters/sip/sip-endpoint.js';
import type { Config } from './config.js';
import type { BrowserGateway } from './signaling/browser-gateway.js';

// The browser's media is made by Janus and then by the SIP endpoint or Asterisk, with the node's
// session options: a call's own (the grant request's) cannot reach it.
export function janusSipGateway(config: Config, target: { tokenSecret: string; botUri: string }, logger: Logger, sip?: SipEndpoint): BrowserGateway {
  const janus = new JanusSipGateway(
    {
      url: config.janus.url,
      tokenSecret: target.tokenSecret,
      botUri: target.botUri,
      srtp: config.janus.srtp,
      maxCallSeconds: config.api.maxCallSeconds,
      setupTimeoutMs: config.janus.setupTimeoutMs,
    },
    logger,
    sip,
  );
  return { callMediaOptions: false, connect: (callId, offerSdp) => janus.connect(callId, offerSdp) };
}

// PBX mode drives Janus only when both its token secret and the bot extension's URI are set;
// otherwise browsers keep reaching the embedded WebRTC edge.
export function pbxJanusGateway(config: Config, logger: Logger): BrowserGateway | undefined {
  const { tokenSecret, botUri } = config.janus;
  return tokenSecret && botUri ? janusSipGateway(config, { tokenSecret, botUri }, logger) : undefined;
}
