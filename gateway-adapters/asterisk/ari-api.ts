// The part of ari-client's generated client the adapter uses, typed, with a timeout and errors
// turned into AriRequestError. ari-client builds its operations from Asterisk's own swagger
// documents at connect time, so these names are ARI's nicknames (channels.json, bridges.json).
import { AriRequestError } from './errors.js';

export interface AriChannelJson {
  id: string;
  name: string;
  state: string;
  dialplan?: { context: string; exten: string; priority: number };
  caller?: { name: string; number: string };
  channelvars?: Record<string, string>;
}

export interface AriBridgeJson {
  id: string;
  name: string;
  channels: string[];
}

type Op<Args, Result> = (args: Args) => Promise<Result>;

// ari-client's runtime object, as far as the adapter relies on it.
export interface AriClientLike {
  channels: {
    answer: Op<{ channelId: string }, unknown>;
    hangup: Op<{ channelId: string; reason?: string }, unknown>;
    getChannelVar: Op<{ channelId: string; variable: string }, { value: string }>;
    externalMedia: Op<Record<string, string>, AriChannelJson>;
    list: Op<Record<string, never>, AriChannelJson[]>;
    sendDTMF: Op<{ channelId: string; dtmf: string }, unknown>;
  };
  bridges: {
    create: Op<{ type: string; bridgeId: string; name: string }, AriBridgeJson>;
    destroy: Op<{ bridgeId: string }, unknown>;
    addChannel: Op<{ bridgeId: string; channel: string }, unknown>;
    list: Op<Record<string, never>, AriBridgeJson[]>;
  };
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  once(event: string, listener: (...args: unknown[]) => void): unknown;
  removeAllListeners(event?: string): unknown;
  start(app: string): Promise<void>;
  stop(): void;
}

// ari-client rejects with Error(body text); Asterisk's body is {"message": "..."}.
function messageOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // not JSON: a transport error, keep its text
  }
  return text;
}

export async function ariRequest<T>(step: string, timeoutMs: number, request: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AriRequestError(step, `no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([request(), timeout]);
  } catch (error) {
    if (error instanceof AriRequestError) throw error;
    throw new AriRequestError(step, messageOf(error));
  } finally {
    clearTimeout(timer);
  }
}
