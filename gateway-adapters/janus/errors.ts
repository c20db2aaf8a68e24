import { ParleyError } from '../../engine/errors.js';

export class JanusError extends ParleyError {
  constructor(
    message: string,
    readonly janusCode?: number,
  ) {
    super('ERR_PARLEY_JANUS', message);
  }
}
