// Named errors of the media workers' control side.
import { ParleyError } from '../errors.js';

// The worker went away (crash, kill, shutdown) before it answered.
export class MediaWorkerGoneError extends ParleyError {
  constructor(message: string) {
    super('ERR_PARLEY_MEDIA_WORKER_GONE', message);
  }
}

// The worker answered a request with an error (the engine refused the options, no free port...).
export class MediaWorkerRequestError extends ParleyError {
  constructor(message: string) {
    super('ERR_PARLEY_MEDIA_WORKER_REQUEST', message);
  }
}

// No worker is up to take a call (all of them are restarting).
export class NoMediaWorkerError extends ParleyError {
  constructor() {
    super('ERR_PARLEY_NO_MEDIA_WORKER', 'no media worker is up');
  }
}
