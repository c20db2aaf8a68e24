import { describe, it } from 'vitest';
import { realAsteriskPerFile } from '../../support/asterisk/real-pbx.js';
import { checkTransport } from './transport-check.js';
describe('dbg', () => {
  const env = realAsteriskPerFile();
  it('client', async () => {
    const t = setTimeout(() => console.log('ASTERISK LOG\n' + env.asterisk.logTail(40)), 40000);
    await checkTransport(env, { transport: 'websocket', websocket: { connectionType: 'client', clientName: 'parley-media', listenPort: env.mediaWebSocketPort } }, 'dbg');
    clearTimeout(t);
  }, 60000);
});
