// The reason a bot wire protocol gives for refusing a message: `fn` decodes one message; any other
// error is rethrown, and undefined means the message was accepted.
import { MalformedBotMessageError } from '../../engine/bot/errors.js';

export function reasonOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof MalformedBotMessageError) return error.reason;
    throw error;
  }
  return undefined;
}
