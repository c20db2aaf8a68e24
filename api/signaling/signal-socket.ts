// WS /v1/signal?token=…: the browser's only signaling channel. The upgrade verifies the token,
// checks that origin and client IP match the grant and consumes the server-side record (a replay
// finds none). One call per socket; its end closes the socket and frees the caller's budget.
import type { Logger } from 'pino';
import { Call, type BotStarter } from '../../engine/call/call.js';
import type { CallRegistry } from '../../engine/call/call-registry.js';
import { callLogger } from '../../engine/logger.js';
import { counter } from '../../engine/metrics.js';
import type { SessionRecords } from '../grants/session-records.js';
import type { SessionTokens } from '../grants/session-token.js';
import type { HttpRequest, HttpResponse, WsConnection, WsHandlers } from '../http/http-types.js';
import type { CallLimits } from '../limits/call-limits.js';
import type { BrowserGateway, LocalCallLeg, RemoteCallLeg } from './browser-gateway.js';
import type { DiagnosticsLog } from './diagnostics-log.js';
import { clientMessageSchema, MAX_SIGNAL_MESSAGE_BYTES, type ServerMessage } from './signal-messages.js';

const refusedUpgrades = counter('parley_signal_refused_total', 'Signaling upgrades refused, by reason', ['reason']);
const rejectedMessages = counter('parley_signal_messages_rejected_total', 'Signaling messages rejected, by reason', ['reason']);

export interface SignalDeps {
  tokens: SessionTokens;
  records: SessionRecords;
  limits: CallLimits;
  gateway: BrowserGateway;
  startBot: BotStarter;
  calls: CallRegistry;
  diagnostics: DiagnosticsLog;
  maxCallSeconds: number;
  logger: Logger;
}

export interface SignalState {
  callId: string;
  clientIp: string;
  logger: Logger;
  call?: Call;
  closeLeg?: (reason: string) => Promise<void>;
  connecting: boolean;
  // A leg was connected (one call per socket, also once it has ended).
  connected: boolean;
  closed: boolean;
  rejectedReasons: Set<string>;
}

function refuse(status: number, error: string, message: string): { refuse: HttpResponse } {
  refusedUpgrades.inc({ reason: error });
  return { refuse: { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error, message }) } };
}

function send(connection: WsConnection, message: ServerMessage): void {
  connection.send(JSON.stringify(message));
}

export function signalSocket(deps: SignalDeps): WsHandlers<SignalState> {
  const reject = (connection: WsConnection, state: SignalState, reason: string, message: string): void => {
    rejectedMessages.inc({ reason });
    if (!state.rejectedReasons.has(reason)) {
      state.rejectedReasons.add(reason);
      state.logger.warn({ reason }, 'rejected a signaling message');
    }
    send(connection, { type: 'error', error: reason, message });
  };

  const endCall = (state: SignalState, reason: string): void => {
    state.call?.end(reason);
    void state.closeLeg?.(reason);
    state.closeLeg = undefined;
    void deps.limits.release(state.clientIp, state.callId);
  };

  // The media is here (embedded and direct modes): a Call attaches the bot to it.
  const startLocalCall = (connection: WsConnection, state: SignalState, leg: LocalCallLeg): void => {
    const call = new Call({ callId: state.callId, source: 'webrtc' }, leg.media, state.logger);
    state.call = call;
    deps.calls.add(call);
    call.once('ended', (reason) => {
      void leg.close(reason);
      if (!state.closed) {
        send(connection, { type: 'ended', reason });
      }
    });
    call.start(deps.startBot, deps.maxCallSeconds * 1000);
  };

  // The media lives elsewhere (PBX mode: Asterisk's adapter attaches the bot). This node still owns
  // the browser's budget: the maximum duration closes the leg, and its end frees the caller's slot.
  const watchRemoteLeg = (connection: WsConnection, state: SignalState, leg: RemoteCallLeg): void => {
    const maxDuration = setTimeout(() => void leg.close('max_duration'), deps.maxCallSeconds * 1000);
    void leg.ended.then((reason) => {
      clearTimeout(maxDuration);
      state.closeLeg = undefined;
      state.logger.info({ reason }, 'browser leg ended');
      if (!state.closed) send(connection, { type: 'ended', reason });
      void deps.limits.release(state.clientIp, state.callId);
    });
  };

  return {
    async upgrade(request: HttpRequest) {
      const token = request.query.get('token');
      if (!token) return refuse(401, 'token_missing', 'No session token.');
      const check = await deps.tokens.verify(token);
      if (!check.ok) return refuse(401, check.reason === 'expired' ? 'token_expired' : 'token_invalid', 'The session token is not valid.');
      const { claims } = check;
      if (request.headers.origin !== claims.origin) return refuse(403, 'origin_mismatch', 'The token was issued to another site.');
      if (request.remoteAddress !== claims.clientIp) return refuse(403, 'client_mismatch', 'The token was issued to another client.');
      const record = await deps.records.consume(claims.sessionId);
      if (!record) return refuse(401, 'token_used', 'The session token was already used.');
      await deps.limits.extend(claims.clientIp, claims.sessionId, Date.now() + deps.maxCallSeconds * 1000);
      return {
        state: {
          callId: claims.sessionId,
          clientIp: claims.clientIp,
          logger: callLogger(claims.sessionId, deps.logger),
          connecting: false,
          connected: false,
          closed: false,
          rejectedReasons: new Set<string>(),
        },
      };
    },

    open(_connection, state) {
      state.logger.info('signaling open');
    },

    message(connection, state, data, isBinary) {
      if (isBinary || data.length > MAX_SIGNAL_MESSAGE_BYTES) {
        reject(connection, state, 'bad_frame', 'Signaling messages are JSON text.');
        return;
      }
      let json: unknown;
      try {
        json = JSON.parse(data.toString('utf8'));
      } catch {
        reject(connection, state, 'bad_json', 'The message is not JSON.');
        return;
      }
      const parsed = clientMessageSchema.safeParse(json);
      if (!parsed.success) {
        reject(connection, state, 'bad_message', 'Unknown or malformed message.');
        return;
      }
      const message = parsed.data;
      if (message.type === 'diagnostics') {
        deps.diagnostics.record(state.callId, message.diagnostics);
        return;
      }
      if (message.type === 'hangup') {
        endCall(state, 'caller_hangup');
        send(connection, { type: 'ended', reason: 'caller_hangup' });
        return;
      }
      if (state.connected || state.connecting) {
        reject(connection, state, 'call_exists', 'This session already has a call.');
        return;
      }
      state.connecting = true;
      void deps.gateway.connect(state.callId, message.sdp).then(
        (leg) => {
          state.connecting = false;
          if (state.closed) {
            void leg.close('signaling_closed');
            return;
          }
          state.connected = true;
          state.closeLeg = leg.close;
          if (leg.media) startLocalCall(connection, state, leg);
          else watchRemoteLeg(connection, state, leg);
          send(connection, { type: 'answer', sdp: leg.answerSdp, callId: state.callId });
        },
        (error: unknown) => {
          state.connecting = false;
          state.logger.warn({ err: error }, 'could not connect the browser call');
          reject(connection, state, 'connect_failed', 'The call could not be connected.');
        },
      );
    },

    close(_connection, state, code) {
      state.logger.info({ code, connecting: state.connecting, connected: state.connected }, 'signaling closed');
      state.closed = true;
      endCall(state, 'signaling_closed');
    },
  };
}
