// Named errors of the Asterisk adapter.

// One ARI request failed: `step` names the call-setup step, `message` is Asterisk's own
// {"message": ...} text when it sent one.
export class AriRequestError extends Error {
  override name = 'AriRequestError';
  constructor(
    readonly step: string,
    message: string,
  ) {
    super(`${step}: ${message}`);
  }

  // 404s on teardown mean "already gone", which is what teardown wanted.
  get notFound(): boolean {
    return /not found/i.test(this.message);
  }
}

// An ARI event or response did not have the shape Asterisk's documents give it.
export class AriProtocolError extends Error {
  override name = 'AriProtocolError';
}

// The chan_websocket media link broke its protocol (bad control message, oversize frame).
export class MediaWebSocketError extends Error {
  override name = 'MediaWebSocketError';
}

// The asterisk configuration cannot work (checked when PBX mode starts).
export class AsteriskConfigError extends Error {
  override name = 'AsteriskConfigError';
}
