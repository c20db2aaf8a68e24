import { ParleyError } from '../../engine/errors.js';

export class WebRtcEdgeError extends ParleyError {
  constructor(message: string, options?: ErrorOptions) {
    super('ERR_PARLEY_WEBRTC', message, options);
  }
}
