// The SIP endpoint against SIPp (Debian's sip-tester), an independent SIP implementation: a full
// call with RTP from SIPp's rtp_stream, and an INVITE to a user that is not the bot.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BotStarter } from '../../../engine/call/call.js';
import { CallRegistry } from '../../../engine/call/call-registry.js';
import { CallService } from '../../../engine/call/call-service.js';
import { MediaEngine } from '../../../engine/media/media-engine.js';
import { SipEndpoint } from '../../../gateway-adapters/sip/sip-endpoint.js';
import { rmsDbfs } from '../../support/signal-metrics.js';
import { sipp } from '../../support/sipp.js';

const scenario = (name: string): string => fileURLToPath(new URL(`../../fixtures/sipp/${name}`, import.meta.url));

describe('direct SIP endpoint against SIPp', () => {
  let engine: MediaEngine;
  let endpoint: SipEndpoint;
  const calls = new CallRegistry();
  // What the bot heard: 20 ms frames with speech energy, and the VAD's speech onsets.
  const heard = { loudFrames: 0, speechOnsets: 0, ended: 0 };
  const bot: BotStarter = (media) => {
    media.on('audio', (pcm) => {
      if (rmsDbfs(pcm) > -40) heard.loudFrames++;
    });
    media.on('speechStarted', () => heard.speechOnsets++);
    return { stop: () => void heard.ended++ };
  };
  let callScenario: string;

  beforeAll(async () => {
    engine = new MediaEngine();
    endpoint = await SipEndpoint.start({ port: 0 }, { calls: new CallService({ engine, calls, startBot: bot, maxCallMs: 60_000, logger: pino({ level: 'silent' }) }), logger: pino({ level: 'silent' }), media: { host: '127.0.0.1' } });
    const dir = mkdtempSync(join(tmpdir(), 'parley-sipp-'));
    const wav = join(dir, 'speech-ulaw.wav');
    execFileSync('espeak-ng', ['-v', 'en-us', '-w', join(dir, 'speech.wav'), 'Hello bot, this is SIP p calling with some speech.']);
    execFileSync('sox', [join(dir, 'speech.wav'), '-r', '8000', '-c', '1', '-e', 'mu-law', wav]);
    // SIPp substitutes no keywords in rtp_stream: the scenario gets the WAV's path written in.
    callScenario = join(dir, 'uac-call.xml');
    writeFileSync(callScenario, readFileSync(scenario('uac-call.xml'), 'utf8').replaceAll('@SPEECH_WAV@', wav));
  });
  afterAll(async () => {
    await endpoint.close();
    engine.stop();
  });

  it('completes OPTIONS and a PCMU call with RTP, whose speech the node hears', async () => {
    const { address, port } = endpoint.local;
    const result = await sipp([`${address}:${port}`, '-sf', callScenario, '-s', 'bot']);
    expect(result.code, result.output).toBe(0);
    await expect.poll(() => heard.ended).toBe(1);
    expect(heard.loudFrames).toBeGreaterThan(25);
    expect(heard.speechOnsets).toBeGreaterThan(0);
    expect(calls.size).toBe(0);
  });

  it('gets 404 for a user that is not the bot', async () => {
    const { address, port } = endpoint.local;
    const result = await sipp([`${address}:${port}`, '-sf', scenario('uac-refused.xml'), '-s', 'alice']);
    expect(result.code, result.output).toBe(0);
  });
});
