// DTMF both ways in PBX mode on a real Asterisk 22, on every ExternalMedia transport, with a real
// SIP phone (baresip) as the caller:
// - bot -> caller: the bot's digits go to ARI `POST /channels/{caller}/dtmf`; Asterisk plays them
//   on the caller's PJSIP channel as RFC 4733 events, which baresip decodes (CALL_DTMF_START).
//   Before the fix they went into the ExternalMedia leg, which never passes digits on: 0 arrived.
// - caller -> bot: baresip sends RFC 4733 (`sndcode`), Asterisk raises ChannelDtmfReceived on
//   the caller's channel, and the bot gets a `dtmf` event per digit.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startParley, until } from '../../support/asterisk/parley-pbx.js';
import { RealAsterisk } from '../../support/asterisk/real-asterisk.js';
import { Baresip, writeWavFile } from '../../support/baresip.js';
import { step } from '../../support/signal-client.js';
import { renderSpeech } from '../../support/speech.js';

const transports = [
  { name: 'rtp (ulaw)', config: { transport: 'rtp' as const } },
  { name: 'websocket (server)', config: { transport: 'websocket' as const } },
  { name: 'audiosocket', config: { transport: 'audiosocket' as const, audiosocket: { listenPort: 0 } } },
];

describe('DTMF between the bot and a SIP phone through a real Asterisk', () => {
  let asterisk: RealAsterisk;
  let dir: string;

  beforeAll(async () => {
    asterisk = await RealAsterisk.start();
    dir = mkdtempSync(join(tmpdir(), 'parley-dtmf-'));
    writeWavFile(join(dir, 'speak.wav'), renderSpeech('One two three.', { rateHz: 8000 }), 8000);
  });
  afterAll(async () => {
    await asterisk?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const { name, config } of transports) {
    it(`carries digits both ways over ${name}`, async () => {
      const parley = await startParley({ url: asterisk.ariUrl, ...asterisk.ari, config });
      const phone = await Baresip.start({ dir: join(dir, config.transport), speakWav: join(dir, 'speak.wav') });
      try {
        await phone.dial(`sip:7000@127.0.0.1:${asterisk.sipPort}`);
        await phone.event('CALL_ESTABLISHED');
        const bot = await step('the bot', parley.bots.started(0));

        bot.media.sendDtmf('7*9#');
        await until(() => phone.events.filter((event) => event.type === 'CALL_DTMF_START').length >= 4, `the bot's digits at the phone (${name})`, 15_000);
        expect(phone.events.filter((event) => event.type === 'CALL_DTMF_START').map((event) => event.param)).toEqual(['7', '*', '9', '#']);

        // One key at a time, as a person presses them (baresip sends a string of digits back to
        // back, and under load Asterisk was once seen to read such a run as 4, 2, 2).
        for (const [index, digit] of ['4', '2', '#'].entries()) {
          await phone.command('sndcode', digit);
          await until(() => bot.digits.length > index, `the phone's digit ${digit} at the bot (${name})`, 15_000);
        }
        expect(bot.digits).toEqual(['4', '2', '#']);
      } finally {
        await phone.stop();
        await parley.close();
      }
    });
  }
});
