// Metrics of the Asterisk adapter (prom-client, served at /metrics with the rest).
import { counter, gauge } from '../../engine/metrics.js';

export const asteriskMetrics = {
  calls: counter('parley_asterisk_calls_total', 'Channels that entered the Stasis app, by outcome', ['outcome']),
  ariErrors: counter('parley_asterisk_ari_errors_total', 'Failed ARI requests, by step', ['step']),
  invalidEvents: counter('parley_asterisk_invalid_events_total', 'ARI events dropped for not matching events.json', ['type']),
  connectFailures: counter('parley_asterisk_connect_failures_total', 'Failed ARI (re)connects, by reason (auth, unreachable, api)', ['reason']),
  reconnects: counter('parley_asterisk_reconnects_total', 'ARI event socket reconnections'),
  reconciled: counter('parley_asterisk_reconciled_total', 'Leftovers found after a reconnect, by kind', ['kind']),
  dialsWaiting: gauge('parley_asterisk_dials_waiting', 'Calls waiting for their turn to ask for their ExternalMedia channel (chan_websocket client mode dials one at a time)'),
  wsMedia: counter('parley_asterisk_ws_media_total', 'chan_websocket media events, by kind', ['kind']),
};
