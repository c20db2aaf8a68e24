// The browser gateway of direct and PBX modes: per browser call, Parley drives Janus's SIP plugin
// on the browser's behalf. It opens a Janus connection with a signed token minted for this call
// only, creates a session, attaches janus.plugin.sip, registers as a guest (no SIP secret needed:
// the callee trusts Janus by source address), and `call`s the bot URI with the browser's JSEP offer
// and an X-Parley-Session header. Direct mode: the INVITE reaches Parley's own SIP endpoint, which
// hands the call's media back here. PBX mode (no SIP endpoint): it reaches an Asterisk extension,
// whose Stasis app gives the call to the Asterisk adapter; no media passes through here. Janus's
// answer goes to the browser. Either side hangs up.
import type { Logger } from 'pino';
import type { MediaLeg } from '../../engine/call/media-leg.js';
import { CORRELATION_HEADER, type SipEndpoint } from '../sip/sip-endpoint.js';
import { JanusError } from './errors.js';
import { JanusClient, type JanusHandle } from './janus-client.js';
import { janusSignedToken } from './janus-token.js';

const SIP_PLUGIN = 'janus.plugin.sip';

export interface JanusSipGatewayOptions {
  // Janus's WebSocket API, e.g. ws://10.0.0.5:8188.
  url: string;
  // janus.jcfg token_auth_secret.
  tokenSecret: string;
  // The SIP URI Janus calls: Parley's SIP endpoint and its bot user, or the PBX's bot extension.
  botUri: string;
  // How Janus keys the SIP leg's media (its `srtp` call option).
  srtp: 'none' | 'sdes_optional' | 'sdes_mandatory';
  // Longest call, for the token's lifetime.
  maxCallSeconds: number;
  // Janus answer and SIP call setup, together.
  setupTimeoutMs: number;
}

interface SipPluginResult {
  event?: string;
  code?: number;
  reason?: string;
}

type Jsep = { type: 'offer' | 'answer'; sdp: string };

// What the signaling socket gets back (api/signaling/browser-gateway.ts has the same shapes; the
// adapter does not import from api/, which sits above it): the call's media on Parley's SIP
// endpoint, or, when Janus calls a PBX, a promise of the leg's end.
export type JanusBrowserCall =
  | { answerSdp: string; media: MediaLeg; close(reason: string): Promise<void> }
  | { answerSdp: string; media?: undefined; ended: Promise<string>; close(reason: string): Promise<void> };

// A promise awaited only after further requests: its rejection (a refusal that arrives first) is
// handled from the start instead of counting as unhandled, which would end the process.
function settledLater<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

// Waits for one of the plugin's `result.event`s; a plugin error or hangup rejects.
function sipEvent(handle: JanusHandle, wanted: string, timeoutMs: number): Promise<{ result: SipPluginResult; jsep?: Jsep }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new JanusError(`Janus SIP plugin: no "${wanted}" in time`)), timeoutMs);
    const onEvent = (data: Record<string, unknown>, jsep?: Jsep): void => {
      if (typeof data.error_code === 'number') {
        finish(new JanusError(`Janus SIP plugin error ${data.error_code}: ${String(data.error)}`, data.error_code));
        return;
      }
      const result = (data.result ?? {}) as SipPluginResult;
      if (result.event === wanted) finish(undefined, { result, jsep });
      else if (result.event === 'hangup' || result.event === 'registration_failed') {
        finish(new JanusError(`Janus SIP plugin: ${result.event} (${result.code ?? ''} ${result.reason ?? ''})`.trim()));
      }
    };
    const onHangup = (reason: string): void => finish(new JanusError(`Janus hung up: ${reason}`));
    const finish = (error?: Error, value?: { result: SipPluginResult; jsep?: Jsep }): void => {
      clearTimeout(timer);
      handle.off('event', onEvent);
      handle.off('hangup', onHangup);
      if (error) reject(error);
      else resolve(value!);
    };
    handle.on('event', onEvent);
    handle.on('hangup', onHangup);
  });
}

export class JanusSipGateway {
  constructor(
    private readonly options: JanusSipGatewayOptions,
    private readonly logger: Logger,
    // Direct mode's endpoint, which the INVITE reaches; none when the bot URI is a PBX's.
    private readonly sip?: SipEndpoint,
  ) {}

  async connect(callId: string, offerSdp: string): Promise<JanusBrowserCall> {
    const logger = this.logger.child({ callId, gateway: 'janus' });
    const expiresAt = Math.floor(Date.now() / 1000) + this.options.maxCallSeconds + 60;
    const client = await JanusClient.connect(this.options.url, janusSignedToken(this.options.tokenSecret, [SIP_PLUGIN], expiresAt));
    let sessionId: number | undefined;
    try {
      sessionId = await client.createSession();
      const handle = await client.attach(sessionId, SIP_PLUGIN);
      const registered = settledLater(sipEvent(handle, 'registered', this.options.setupTimeoutMs));
      await handle.message({ request: 'register', type: 'guest', username: `sip:parley-${callId}@parley.invalid` });
      await registered;

      // The callee's answer and, in direct mode, its media leg; a refusal can arrive before the
      // call and trickle requests below are acknowledged.
      const setup = settledLater(Promise.all([sipEvent(handle, 'accepted', this.options.setupTimeoutMs), this.sip?.expectCall(callId, this.options.setupTimeoutMs)]));
      let session: MediaLeg | undefined;
      let answer: { jsep?: Jsep };
      try {
        await handle.message(
          { request: 'call', uri: this.options.botUri, headers: { [CORRELATION_HEADER]: callId }, ...(this.options.srtp === 'none' ? {} : { srtp: this.options.srtp }) },
          { type: 'offer', sdp: offerSdp },
        );
        // The offer carried all the browser's candidates (the button sends it after gathering).
        await handle.trickle({ completed: true });
        [answer, session] = await setup;
      } catch (error) {
        this.sip?.cancelExpectation(callId);
        // A media leg that arrived while a request failed is not left running.
        void setup.then(([, leg]) => leg?.close('setup_failed').catch(() => undefined), () => undefined);
        throw error;
      }
      if (answer.jsep?.type !== 'answer') throw new JanusError('Janus accepted the call without an SDP answer');
      logger.info('browser call connected through Janus');
      const id = sessionId;
      let closed = false;
      let settleEnded: (reason: string) => void = () => undefined;
      const ended = new Promise<string>((resolve) => (settleEnded = resolve));
      const close = async (reason: string): Promise<void> => {
        if (closed) return;
        closed = true;
        session?.close(reason);
        settleEnded(reason);
        await handle.message({ request: 'hangup' }).catch(() => undefined);
        await client.destroySession(id);
        client.close();
      };
      // Janus's side ending (browser's PeerConnection gone, Janus down) ends the call.
      handle.on('hangup', (reason) => void close(`janus_${reason}`));
      handle.on('event', (data) => {
        if ((data.result as SipPluginResult | undefined)?.event === 'hangup') void close('janus_hangup');
      });
      client.once('closed', () => void close('janus_disconnected'));
      return session ? { answerSdp: answer.jsep.sdp, media: session, close } : { answerSdp: answer.jsep.sdp, ended, close };
    } catch (error) {
      logger.warn({ err: error }, 'could not set up the call through Janus');
      if (sessionId !== undefined) await client.destroySession(sessionId);
      client.close();
      throw error;
    }
  }
}
