// A bot that hangs up right after its last words over chan_websocket: Parley asks Asterisk to
// report its queue drained (REPORT_QUEUE_DRAINED) and closes only then, so the caller hears the
// end (without that, 80-100 ms of it were cut).
import { describe, expect, it } from 'vitest';
import { realAsteriskPerFile } from '../../support/asterisk/real-pbx.js';
import { lastWordsHeardMs, TAIL_MS } from './last-words.js';

describe('real Asterisk: chan_websocket bot hangup', () => {
  const env = realAsteriskPerFile();

  it('plays the bot’s last words out before hanging up', async () => {
    expect(await lastWordsHeardMs(env)).toBeGreaterThanOrEqual(TAIL_MS - 70);
  });
});
