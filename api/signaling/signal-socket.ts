// WS /v1/signal?token=…: the browser's only signaling channel. The upgrade verifies the token,
// checks that origin and client IP match the grant and consumes the server-side record (a replay
// finds none). One call per socket; its end closes the socket and frees the caller's budget.
import type { Logger } from 'pino';
import type { Call } from '../../engine/call/call.js';
import { CallCapError } from '../../engine/call/call-cap.js';
import type { CallService } from '../../engine/call/call-service.js';
import { DRAIN_RETRY_AFTER_SECONDS, type Drain } from '../../engine/drain.js';
import { callLogger } from '../../engine/logger.js';
import type { CallMediaOptions } from '../../engine/media/media-session-options.js';
import { counter } from '../../engine/metrics.js';
import type { SessionRecords } from '../grants/session-records.js';
import type { SessionTokens } from '../grants/session-token.js';
import type { HttpRequest, HttpResponse, WsConnection, WsHandlers } from '../http/http-types.js';
import type { CallLimits } from '../limits/call-limits.js';
import { CallReservation } from '../limits/call-reservation.js';
import type { BrowserCallLeg, BrowserGateway, LocalCallLeg, RemoteCallLeg } from './browser-gateway.js';
import type { DiagnosticsLog } from './diagnostics-log.js';
import { clientMessageSchema, MAX_SIGNAL_MESSAGE_BYTES, type ServerMessage } from './signal-messages.js';

const refusedUpgrades = counter('parley_signal_refused_total', 'Signaling upgrades refused, by reason', ['reason']);
const rejectedMessages = counter('parley_signal_messages_rejected_total', 'Signaling messages rejected, by reason', ['reason']);

export interface SignalDeps {
  tokens: SessionTokens;
  records: SessionRecords;
  limits: CallLimits;
  gateway: BrowserGateway;
  calls: CallService;
  drain: Drain;
  diagnostics: DiagnosticsLog;
  maxCallSeconds: number;
  logger: Logger;
}

export interface SignalState {
  callId: string;
  clientIp: string;
  // The call's own media options, from its grant.
  media: CallMediaOptions;
  logger: Logger;
  // The socket's hold on the call budget: a call starts only while it is held.
  reservation: CallReservation;
  call?: Call;
  closeLeg?: (reason: string) => Promise<void>;
  connecting: boolean;
  // A leg was connected (one call per socket, also once it has ended).
  connected: boolean;
  closed: boolean;
  // `ended` goes to the browser once, whichever of the caller, the call or the leg ends first.
  endedSent: boolean;
  rejectedReasons: Set<string>;
}

function refuse(status: number, error: string, message: string, headers: Record<string, string> = {}): { refuse: HttpResponse } {
  refusedUpgrades.inc({ reason: error });
  return { refuse: { status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ error, message }) } };
}

function send(connection: WsConnection, message: ServerMessage): void {
  connection.send(JSON.stringify(message));
}

function announceEnded(connection: WsConnection, state: SignalState, reason: string): void {
  if (state.endedSent || state.closed) return;
  state.endedSent = true;
  send(connection, { type: 'ended', reason });
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

  const endCall = (connection: WsConnection, state: SignalState, reason: string): void => {
    state.reservation.release();
    state.call?.end(reason);
    void state.closeLeg?.(reason);
    state.closeLeg = undefined;
    announceEnded(connection, state, reason);
  };

  // The media is here (embedded and direct modes): the call service attaches the bot to it, for
  // what remains of the grant.
  const startLocalCall = (connection: WsConnection, state: SignalState, leg: LocalCallLeg): void => {
    const call = deps.calls.start({ callId: state.callId, source: 'webrtc' }, leg.media, state.logger, {
      maxDurationMs: state.reservation.remainingMs,
      onEnded: (reason) => {
        state.reservation.release();
        void leg.close(reason);
        announceEnded(connection, state, reason);
      },
    });
    state.call = call;
    // ICE or DTLS failed or closed under the media: the call ends with that reason.
    void leg.transportEnded?.then((reason) => call.end(reason));
  };

  // The media lives elsewhere (PBX mode: Asterisk's adapter attaches the bot). This node still owns
  // the browser's budget: the reservation's end closes the leg, and its end frees the caller's slot.
  const watchRemoteLeg = (connection: WsConnection, state: SignalState, leg: RemoteCallLeg): void => {
    const maxDuration = setTimeout(() => void leg.close('max_duration'), state.reservation.remainingMs);
    void leg.ended.then((reason) => {
      clearTimeout(maxDuration);
      state.closeLeg = undefined;
      state.logger.info({ reason }, 'browser leg ended');
      state.reservation.release();
      announceEnded(connection, state, reason);
    });
  };

  // The reservation is renewed for the call's length before connecting, and checked again, in the
  // same turn as the call starts, once the leg is there: a hangup or a close meanwhile released it.
  const connectCall = async (connection: WsConnection, state: SignalState, offerSdp: string): Promise<void> => {
    let leg: BrowserCallLeg;
    try {
      if (!(await state.reservation.renew(Date.now() + deps.maxCallSeconds * 1000))) {
        state.connecting = false;
        reject(connection, state, 'reservation_ended', 'This session has ended: request a new one.');
        return;
      }
      leg = await deps.gateway.connect(state.callId, offerSdp, state.logger, state.media);
    } catch (error) {
      state.connecting = false;
      if (error instanceof CallCapError) {
        // Counted and logged by the call service.
        reject(connection, state, 'node_busy', 'This node is at capacity: retry shortly.');
        return;
      }
      state.logger.warn({ err: error }, 'could not connect the browser call');
      reject(connection, state, 'connect_failed', 'The call could not be connected.');
      return;
    }
    state.connecting = false;
    if (!state.reservation.held) {
      void leg.close(state.closed ? 'signaling_closed' : 'reservation_ended');
      if (!state.closed) reject(connection, state, 'reservation_ended', 'This session has ended: request a new one.');
      return;
    }
    state.connected = true;
    state.closeLeg = leg.close;
    if (leg.media) startLocalCall(connection, state, leg);
    else watchRemoteLeg(connection, state, leg);
    send(connection, { type: 'answer', sdp: leg.answerSdp, callId: state.callId });
  };

  return {
    async upgrade(request: HttpRequest) {
      if (deps.drain.draining) {
        deps.drain.refused('signaling');
        return refuse(503, 'node_draining', 'This node is shutting down: retry shortly.', { 'retry-after': String(DRAIN_RETRY_AFTER_SECONDS) });
      }
      const token = request.query.get('token');
      if (!token) return refuse(401, 'token_missing', 'No session token.');
      const check = await deps.tokens.verify(token);
      if (!check.ok) return refuse(401, check.reason === 'expired' ? 'token_expired' : 'token_invalid', 'The session token is not valid.');
      const { claims } = check;
      if (request.headers.origin !== claims.origin) return refuse(403, 'origin_mismatch', 'The token was issued to another site.');
      if (request.remoteAddress !== claims.clientIp) return refuse(403, 'client_mismatch', 'The token was issued to another client.');
      const record = await deps.records.consume(claims.sessionId);
      if (!record) return refuse(401, 'token_used', 'The session token was already used.');
      const reservation = await CallReservation.claim(deps.limits, claims.clientIp, claims.sessionId, Date.now() + deps.maxCallSeconds * 1000);
      if (!reservation) return refuse(410, 'reservation_ended', 'The session has expired: request a new one.');
      return {
        state: {
          callId: claims.sessionId,
          clientIp: claims.clientIp,
          media: record.media ?? {},
          logger: callLogger(claims.sessionId, deps.logger),
          reservation,
          connecting: false,
          connected: false,
          closed: false,
          endedSent: false,
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
        endCall(connection, state, 'caller_hangup');
        return;
      }
      if (state.connected || state.connecting) {
        reject(connection, state, 'call_exists', 'This session already has a call.');
        return;
      }
      if (!state.reservation.held) {
        reject(connection, state, 'reservation_ended', 'This session has ended: request a new one.');
        return;
      }
      // A socket opened before the drain may not start a call during it (its live call goes on).
      if (deps.drain.draining) {
        deps.drain.refused('offer');
        reject(connection, state, 'node_draining', 'This node is shutting down: request a new session.');
        return;
      }
      state.connecting = true;
      void connectCall(connection, state, message.sdp);
    },

    close(connection, state, code) {
      state.logger.info({ code, connecting: state.connecting, connected: state.connected }, 'signaling closed');
      state.closed = true;
      endCall(connection, state, 'signaling_closed');
    },
  };
}
