// The browser's side of the public API for tests that start a node: a grant from POST
// /v1/sessions and the signaling socket, with messages awaited by type.
import { once } from 'node:events';
import { expect } from 'vitest';
import WebSocket from 'ws';
import type { RunningNode } from '../../api/node.js';

export interface Grant {
  token: string;
  iceServers: Array<{ urls: string | string[]; username?: string; credential?: string }>;
}

// `body`: the grant request's options (`{}`: the node's settings).
export async function grant(node: Pick<RunningNode, 'url'>, origin: string, body = '{}'): Promise<Grant> {
  const response = await fetch(`${node.url}/v1/sessions`, { method: 'POST', headers: { origin, 'content-type': 'application/json' }, body });
  expect(response.status).toBe(201);
  return (await response.json()) as Grant;
}

export class SignalClosedError extends Error {
  constructor(
    readonly code: number,
    awaited: string,
    // Messages the node had sent before the close.
    readonly messagesBefore: number,
  ) {
    super(`the signaling socket closed (${code}) before "${awaited}"`);
  }
}

export interface Signal {
  socket: WebSocket;
  messages: Array<Record<string, unknown>>;
  // The first message of `type` (already received or next); an `error` message or a close rejects.
  next(type: string): Promise<Record<string, unknown>>;
}

export async function openSignal(node: Pick<RunningNode, 'url'>, token: string, origin: string): Promise<Signal> {
  const socket = new WebSocket(`${node.url.replace('http', 'ws')}/v1/signal?token=${encodeURIComponent(token)}`, { headers: { origin } });
  const messages: Array<Record<string, unknown>> = [];
  const waiters: Array<{ type: string; resolve: (m: Record<string, unknown>) => void; reject: (e: Error) => void }> = [];
  socket.on('message', (data: Buffer) => {
    const message = JSON.parse(data.toString()) as Record<string, unknown>;
    messages.push(message);
    for (const waiter of waiters.filter((w) => w.type === message.type || message.type === 'error')) {
      waiters.splice(waiters.indexOf(waiter), 1);
      if (message.type === 'error') waiter.reject(new Error(`the node refused the call: ${JSON.stringify(message)}`));
      else waiter.resolve(message);
    }
  });
  // A socket that closes under a waiter fails it by name instead of leaving it to a test timeout.
  let closedCode: number | undefined;
  socket.on('close', (code: number) => {
    closedCode = code;
    for (const waiter of waiters.splice(0)) waiter.reject(new SignalClosedError(code, waiter.type, messages.length));
  });
  await once(socket, 'open');
  return {
    socket,
    messages,
    next: (type) => {
      const seen = messages.find((m) => m.type === type);
      if (seen) return Promise.resolve(seen);
      if (closedCode !== undefined) return Promise.reject(new SignalClosedError(closedCode, type, messages.length));
      return new Promise((resolve, reject) => waiters.push({ type, resolve, reject }));
    },
  };
}

// Names the stage a call stalled in, instead of a bare test timeout.
export function step<T>(name: string, promise: Promise<T>, ms = 40_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${name} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, stalled]).finally(() => clearTimeout(timer));
}

// Offers `sdp` on the signaling socket of `token` (a grant's) and waits for the answer. Like the button: one
// retry with a new grant when the socket drops (1006) before the node said anything, which was
// seen right after the upgrade on a loaded machine; any other failure fails at once. The new grant
// asks for what the first did (`grantBody`), as the button's retry does.
export async function offerForAnswer(node: Pick<RunningNode, 'url'>, origin: string, token: string, sdp: string, stage: string, grantBody = '{}'): Promise<{ signal: Signal; answer: Record<string, unknown> }> {
  const offerOn = async (withToken: string): Promise<Signal> => {
    const opened = await openSignal(node, withToken, origin);
    opened.socket.send(JSON.stringify({ type: 'offer', sdp }));
    return opened;
  };
  let signal = await offerOn(token);
  const answer = await step(stage, signal.next('answer')).catch(async (error: unknown) => {
    if (!(error instanceof SignalClosedError && error.messagesBefore === 0)) throw error;
    signal.socket.terminate();
    signal = await offerOn((await grant(node, origin, grantBody)).token);
    return step(`${stage} (retry)`, signal.next('answer'));
  }).catch((error: unknown) => {
    // A refused call's socket would hold the caller's slot (a per-IP limit) into the next test.
    signal.socket.terminate();
    throw error;
  });
  return { signal, answer };
}
