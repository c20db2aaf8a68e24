// Turn latency, as the native media session measures it in media time (native/media/turn_timer.h):
// `response` from the caller's end of speech to the first frame of the bot's answer leaving the
// node, `interruption` from the caller's speech onset over bot audio to that audio stopping at the
// network. Each turn is observed once into /metrics; per call the session's stats carry the count,
// mean, max and last of each (the end-of-call line and the operator view read them there).
import { histogram } from '../metrics.js';

export const turnKinds = ['response', 'interruption'] as const;
export type TurnKind = (typeof turnKinds)[number];

export interface TurnLatencyStats {
  count: number;
  // -1 until the call has had one.
  meanMs: number;
  maxMs: number;
  lastMs: number;
}

// Responses run from a fast bot's 200 ms to a slow LLM's seconds; interruptions from barge-in's
// 120-160 ms to a bot that waits for its own VAD.
const turnLatency = histogram(
  'parley_turn_latency_seconds',
  'Per turn: caller end of speech to the bot answer leaving the node (kind=response), caller onset over bot audio to that audio stopping (kind=interruption)',
  [0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10],
  ['kind'],
);

export function observeTurnLatency(kind: TurnKind, latencyMs: number): void {
  turnLatency.observe({ kind }, latencyMs / 1000);
}
