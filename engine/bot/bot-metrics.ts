// Prometheus metrics of the bot connectors, labelled by protocol (parley | twilio).
import { counter } from '../metrics.js';

export const botMetrics = {
  connections: counter('parley_bot_connections_total', 'Bot WebSocket connections opened', ['protocol']),
  faults: counter('parley_bot_faults_total', 'Bot connections that failed to open, closed or errored mid-call', ['protocol', 'kind']),
  reconnects: counter('parley_bot_reconnects_total', 'Reconnect attempts to a bot after a fault', ['protocol']),
  fallbacks: counter('parley_bot_fallbacks_total', 'Calls given the fallback prompt and hung up because the bot was unavailable', ['protocol']),
  malformed: counter('parley_bot_malformed_messages_total', 'Messages from bots rejected by the schema (dropped; the call continues)', ['protocol', 'reason']),
  dropped: counter('parley_bot_frames_dropped_total', 'Audio frames dropped (a bounded bot queue, a closed socket, a failed send batch)', ['protocol', 'direction', 'reason']),
  // Caller frames sent to plain bot sockets in the worker's per-tick batch (engine/bot/bot-frame-batch.ts).
  batched: counter('parley_bot_frames_batched_total', 'Caller frames sent to bots in a per-tick native batch (the rest went through ws)', []),
};
