// The process's pino logger. Every line about a call comes from callLogger(callId), so it carries
// the callId field operators grep for.
import { pino, type Logger } from 'pino';

export const logger: Logger = pino({
  level: process.env.PARLEY_LOG_LEVEL ?? (process.env.VITEST ? 'silent' : 'info'),
  base: { service: 'parley' },
});

export function callLogger(callId: string, parent: Logger = logger): Logger {
  return parent.child({ callId });
}
