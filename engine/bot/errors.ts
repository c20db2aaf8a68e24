// Named errors of the bot connectors. A malformed message from a bot is counted and dropped, never
// thrown past the connection; its `reason` is the metric label.
import { ParleyError } from '../errors.js';

export type MalformedReason =
  | 'bad_json'
  | 'unknown_event'
  | 'schema'
  | 'payload_size'
  | 'bad_base64'
  | 'unexpected_binary'
  | 'unexpected_text';

export class MalformedBotMessageError extends ParleyError {
  constructor(
    readonly reason: MalformedReason,
    message: string,
    options?: ErrorOptions,
  ) {
    super('ERR_PARLEY_BOT_MALFORMED', message, options);
  }
}

export type BotFaultKind = 'connect_failed' | 'closed' | 'error';

export class BotConnectionError extends ParleyError {
  constructor(
    readonly kind: BotFaultKind,
    message: string,
    options?: ErrorOptions,
  ) {
    super('ERR_PARLEY_BOT_CONNECTION', message, options);
  }
}
