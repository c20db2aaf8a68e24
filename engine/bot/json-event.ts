// Parses a text message from a bot into one of a protocol's events, each with its own zod schema,
// and tells the three ways it can fail apart (bad JSON, unknown event, wrong shape): each is a
// separate metric label.
import type { z } from 'zod';
import { MalformedBotMessageError } from './errors.js';

// `exact`: for a hot event, a check that accepts exactly what its schema accepts, tried first; what
// it refuses still goes to the schema, which then names the fault.
export function parseJsonEvent<S extends Record<string, z.ZodType>>(
  text: string,
  schemas: S,
  exact?: { [K in keyof S]?: (raw: unknown) => raw is z.infer<S[K]> },
): { [K in keyof S]: { event: K; message: z.infer<S[K]> } }[keyof S] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new MalformedBotMessageError('bad_json', `not JSON: ${(error as Error).message}`);
  }
  const event = typeof raw === 'object' && raw !== null ? (raw as { event?: unknown }).event : undefined;
  if (typeof event !== 'string' || !Object.hasOwn(schemas, event)) {
    throw new MalformedBotMessageError('unknown_event', `unknown event ${JSON.stringify(event)?.slice(0, 40)}`);
  }
  if (exact?.[event]?.(raw)) return { event, message: raw } as never;
  const parsed = schemas[event]!.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new MalformedBotMessageError('schema', `${event}: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
  }
  return { event, message: parsed.data } as never;
}
