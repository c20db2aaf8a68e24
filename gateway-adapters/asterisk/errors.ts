// Named errors of the Asterisk adapter, on the project's ParleyError (a stable `code` each).
import { ParleyError } from '../../engine/errors.js';

// One ARI request failed: `step` names the call-setup step, `message` is Asterisk's own
// {"message": ...} text when it sent one.
export class AriRequestError extends ParleyError {
  constructor(
    readonly step: string,
    message: string,
  ) {
    super('ERR_PARLEY_ARI_REQUEST', `${step}: ${message}`);
  }

  // 404s on teardown mean "already gone", which is what teardown wanted.
  get notFound(): boolean {
    return /not found/i.test(this.message);
  }
}

// An ARI event or response did not have the shape Asterisk's documents give it.
export class AriProtocolError extends ParleyError {
  constructor(message: string) {
    super('ERR_PARLEY_ARI_PROTOCOL', message);
  }
}

// The chan_websocket media link broke its protocol (bad control message, oversize frame).
export class MediaWebSocketError extends ParleyError {
  constructor(message: string) {
    super('ERR_PARLEY_MEDIA_WEBSOCKET', message);
  }
}

// The caller left (or the call was torn down) while Parley was still setting the call up.
export class SetupAbortedError extends ParleyError {
  constructor(message: string) {
    super('ERR_PARLEY_SETUP_ABORTED', message);
  }
}

// Why an AudioSocket connection was refused: a closed set, used as the refused-metric label.
export type AudioSocketRefusal =
  | 'unknown_type'
  | 'oversize'
  | 'bad_uuid'
  | 'bad_dtmf'
  | 'bad_audio_length'
  | 'truncated'
  | 'audio_before_uuid'
  | 'unknown_uuid'
  | 'no_uuid'
  | 'too_many_connections'
  | 'decode_failed';

// An AudioSocket connection broke the wire format (res_audiosocket.c) or the call matching.
export class AudioSocketFrameError extends ParleyError {
  constructor(
    readonly reason: AudioSocketRefusal,
    message: string,
  ) {
    super('ERR_PARLEY_AUDIOSOCKET', `${reason}: ${message}`);
  }
}

// Connecting to ARI failed: `reason` says whether the credentials were refused (a configuration
// error), Asterisk could not be reached, or it failed to serve its API documents.
export class AriConnectError extends ParleyError {
  constructor(
    readonly reason: 'auth' | 'unreachable' | 'api',
    message: string,
    options?: ErrorOptions,
  ) {
    super('ERR_PARLEY_ARI_CONNECT', message, options);
  }
}
