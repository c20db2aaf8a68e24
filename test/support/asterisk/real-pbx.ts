// One real Asterisk per test file, Parley attached to it per test, SIP callers dialling in.
//
//   const env = realAsteriskPerFile();                  // at the top of a describe()
//   it('...', async () => {
//     const parley = await env.parley({ config: { format: 'alaw' }, botSays });
//     const caller = await env.dial();                  // SIP INVITE to 7000 -> Stasis(parley)
//     const bot = await parley.bots.started(0);
//     ...
//   });                                                 // callers hung up, Parley closed, and
//                                                       // Asterisk checked for leftovers after each test
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { freeTcpPort } from '../free-port.js';
import { startParley, until, type ParleyPbx, type ParleyPbxOptions } from './parley-pbx.js';
import { RealAsterisk, type RealAsteriskOptions } from './real-asterisk.js';
import { SipCaller } from './sip-caller.js';

export interface RealPbxEnv {
  readonly asterisk: RealAsterisk;
  // Where Parley must listen for chan_websocket client mode (websocket_client.conf points there).
  readonly mediaWebSocketPort: number;
  // `url` defaults to Asterisk's own (a test may put a TcpProxy in between).
  parley(options?: Omit<ParleyPbxOptions, 'url' | 'username' | 'password' | 'app'> & { url?: string }): Promise<ParleyPbx>;
  dial(exten?: string): Promise<SipCaller>;
}

export function realAsteriskPerFile(options: RealAsteriskOptions = {}): RealPbxEnv {
  let asterisk: RealAsterisk | undefined;
  let mediaWebSocketPort = 0;
  const parleys: ParleyPbx[] = [];
  const callers: SipCaller[] = [];
  beforeAll(async () => {
    mediaWebSocketPort = options.mediaWebSocketPort ?? (await freeTcpPort());
    asterisk = await RealAsterisk.start({ ...options, mediaWebSocketPort });
  });
  afterEach(async () => {
    await Promise.all(callers.splice(0).map(async (caller) => {
      await caller.hangUp().catch(() => undefined);
      caller.close();
    }));
    await Promise.all(parleys.splice(0).map((parley) => parley.close()));
    // Whatever the test did, nothing of its calls may stay in Asterisk.
    if (asterisk?.running) await until(async () => (await asterisk!.leftovers()).channels === 0, 'no channel left in Asterisk', 10_000, 100);
  });
  afterAll(async () => {
    await asterisk?.dispose();
  });
  const env: RealPbxEnv = {
    get asterisk() {
      if (!asterisk) throw new Error('realAsteriskPerFile: Asterisk is not started (used outside a test?)');
      return asterisk;
    },
    get mediaWebSocketPort() {
      return mediaWebSocketPort;
    },
    async parley(parleyOptions = {}) {
      const parley = await startParley({ ...env.asterisk.ari, ...parleyOptions, url: parleyOptions.url ?? env.asterisk.ariUrl });
      parleys.push(parley);
      return parley;
    },
    async dial(exten = '7000') {
      const caller = await SipCaller.dial(env.asterisk.sipPort, exten);
      callers.push(caller);
      return caller;
    },
  };
  return env;
}

// Asterisk has no channel and no bridge left (`core show channels`, `bridge show all`).
export async function expectNothingLeft(asterisk: RealAsterisk): Promise<void> {
  await until(async () => {
    const left = await asterisk.leftovers();
    return left.channels === 0 && left.bridges === 0;
  }, 'no channel and no bridge left in Asterisk', 10_000, 100);
  expect(await asterisk.leftovers()).toEqual({ channels: 0, bridges: 0 });
}
