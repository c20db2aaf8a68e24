// Connecting ari-client, with its failures turned into AriConnectError and none of them able to
// take the process down.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as ari from 'ari-client';
import type { AriClientLike } from './ari-api.js';
import { AriConnectError } from './errors.js';

// ari-client 2.2.0 loads Asterisk's API documents with swagger-client 2.0.26, whose
// SwaggerApi.prototype.fail calls the failure callback (ari-client rejects connect() from it) and
// then `throw`s the message from inside the HTTP response callback: a 401 (or any HTTP error) on
// resources.json becomes an uncaught exception that exits the process with every live call.
// The rejection already carries the failure, so the throw is dropped — on ari-client's own copy.
const requireHere = createRequire(import.meta.url);
const swaggerPath = requireHere.resolve('swagger-client', { paths: [dirname(requireHere.resolve('ari-client'))] });
const swagger = requireHere(swaggerPath) as { SwaggerApi: { prototype: { fail(this: { failure(message: unknown): void }, message: unknown): void } } };
swagger.SwaggerApi.prototype.fail = function fail(message) {
  this.failure(message);
};

// ari-client retries a lost event socket with backoff-func's defaults (10 tries, up to 10 s
// apart: about 43 s) before it gives up, and a retry it has scheduled cannot be cancelled (after
// stop() it still opens a socket, which takes the application's events away from the live one).
// So it gets a few quick tries — 100, 200, 400, 800 ms — and then Parley's own loop takes over
// with a fresh client (asterisk.reconnectInitialMs .. reconnectMaxMs).
export const ARI_CLIENT_RETRIES = 4;
const backoffPath = requireHere.resolve('backoff-func', { paths: [dirname(requireHere.resolve('ari-client'))] });
const backoff = requireHere(backoffPath) as { create(options: Record<string, unknown>): unknown };
const createBackoff = backoff.create.bind(backoff);
backoff.create = (options) => createBackoff({ ...options, maxRetries: ARI_CLIENT_RETRIES });

const CREDENTIAL_KEYS = 'asterisk.username / asterisk.password (PARLEY_ARI_USERNAME / PARLEY_ARI_PASSWORD)';

// What ari-client rejects with: swagger's "<status> : <text> <url>" string, or a socket Error.
export function connectErrorOf(error: unknown, url: string): AriConnectError {
  const text = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | undefined)?.code;
  const status = /^(\d{3}) :/.exec(text)?.[1] ?? /Unexpected server response: (\d{3})/.exec(text)?.[1];
  if (status === '401' || status === '403') {
    return new AriConnectError('auth', `ARI at ${url} refused the credentials (HTTP ${status}): check ${CREDENTIAL_KEYS} against ari.conf`, { cause: error });
  }
  if (typeof code === 'string' || status === undefined) {
    return new AriConnectError('unreachable', `ARI at ${url} (asterisk.url, PARLEY_ARI_URL) is unreachable: ${text}`, { cause: error });
  }
  return new AriConnectError('api', `ARI at ${url} failed to serve its API documents (HTTP ${status}): ${text}`, { cause: error });
}

export async function connectAri(url: string, username: string, password: string): Promise<AriClientLike> {
  try {
    return (await ari.connect(url, username, password)) as AriClientLike;
  } catch (error) {
    throw connectErrorOf(error, url);
  }
}

// Stops a client for good (called once it has no retry scheduled: at start failure, after
// WebSocketMaxRetries, or at shutdown).
export function retireAriClient(client: AriClientLike): void {
  client.removeAllListeners();
  client.stop();
}
