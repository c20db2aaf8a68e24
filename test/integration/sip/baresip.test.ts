// baresip (Debian's package) as a real SIP phone calling Parley's direct SIP endpoint: hold and
// resume by re-INVITE (RFC 3264 section 8.4), and Opus with telephone-event/8000 (RFC 4733
// section 2.1) with digits both ways. The phone speaks a WAV file and dumps what it hears.
import { execFileSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BotStarter } from '../../../engine/call/call.js';
import { CallRegistry } from '../../../engine/call/call-registry.js';
import { CallService } from '../../../engine/call/call-service.js';
import { MediaEngine } from '../../../engine/media/media-engine.js';
import type { MediaSession } from '../../../engine/media/media-session.js';
import { registry } from '../../../engine/metrics.js';
import { SipEndpoint } from '../../../gateway-adapters/sip/sip-endpoint.js';
import type { SipEndpointOptions } from '../../../gateway-adapters/sip/sip-endpoint-options.js';
import { Baresip, writeWavFile } from '../../support/baresip.js';
import { selfSignedCert } from '../../support/self-signed-cert.js';
import { rmsDbfs } from '../../support/signal-metrics.js';
import { sine } from '../../support/test-signals.js';

// The endpoint's `SIP call offered` lines tell what was negotiated.
const offered: Array<{ codec: string; srtp: string | false; transport: string }> = [];
const logger = pino({ level: 'info' }, { write: (line: string) => {
  const entry = JSON.parse(line) as { msg: string; codec: string; srtp: string | false; transport: string };
  if (entry.msg === 'SIP call offered') offered.push(entry);
} });
const BOT_RATE_HZ = 16000;
const WAIT_MS = 15_000;

async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`not within ${WAIT_MS} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20)); // polling a counter nothing announces
  }
}

async function invitesReceived(): Promise<number> {
  return (await registry.getSingleMetric('parley_sip_requests_total')!.get()).values.find((v) => v.labels.method === 'INVITE')?.value ?? 0;
}

describe('baresip -> Parley direct SIP endpoint', () => {
  let engine: MediaEngine;
  let calls: CallRegistry;
  let dir: string;
  let endpoint: SipEndpoint | undefined;
  let phone: Baresip | undefined;
  const sessions: MediaSession[] = [];
  const digits: string[] = [];
  // Caller frames the bot got: one per 20 ms whether or not the phone sends, so they measure call time.
  let botFrames = 0;
  // Of those, frames carrying the phone's tone (above -30 dBFS).
  let botLoudFrames = 0;
  let relay: Socket | undefined;

  // A SIP relay on UDP that renames the suite of the phone's one crypto line from
  // AES_CM_128_HMAC_SHA1_80 to _32 (baresip 1.0 offers only _80, and takes either in the answer).
  const onlySha1_32 = async (parley: { address: string; port: number }): Promise<number> => {
    const socket = createSocket('udp4');
    relay = socket;
    let phoneAt: { address: string; port: number } | undefined;
    socket.on('message', (datagram, from) => {
      if (from.port === parley.port) {
        if (phoneAt) socket.send(datagram, phoneAt.port, phoneAt.address);
        return;
      }
      phoneAt = { address: from.address, port: from.port };
      const [head, ...rest] = datagram.toString('latin1').split('\r\n\r\n');
      const body = rest.join('\r\n\r\n').replace(/^(a=crypto:\d+) AES_CM_128_HMAC_SHA1_80 /gm, '$1 AES_CM_128_HMAC_SHA1_32 ');
      const message = `${head!.replace(/^Content-Length: *\d+/im, `Content-Length: ${Buffer.byteLength(body, 'latin1')}`)}\r\n\r\n${body}`;
      socket.send(Buffer.from(message, 'latin1'), parley.port, parley.address);
    });
    socket.bind(0, '127.0.0.1');
    await once(socket, 'listening');
    return socket.address().port;
  };

  // The bot plays a steady tone for the whole call and notes the digits it gets.
  const toneBot: BotStarter = (media) => {
    sessions.push(media as MediaSession);
    media.play(sine(BOT_RATE_HZ * 60, BOT_RATE_HZ, 440, 8000));
    const onDigit = (digit: string): void => void digits.push(digit);
    const onAudio = (pcm: Int16Array): void => {
      botFrames++;
      if (rmsDbfs(pcm) > -30) botLoudFrames++;
    };
    media.on('dtmf', onDigit);
    media.on('audio', onAudio);
    return {
      stop: () => {
        media.off('dtmf', onDigit);
        media.off('audio', onAudio);
      },
    };
  };

  // `via`: a relay between the phone and Parley (its port is dialled instead of Parley's).
  const call = async (account: string, modules: string[] = [], speakWav = 'speak.wav', via?: (parley: { address: string; port: number }) => Promise<number>, target?: (endpoint: SipEndpoint) => string, options: SipEndpointOptions = {}, phoneConfig: string[] = []): Promise<MediaSession> => {
    endpoint = await SipEndpoint.start({ port: 0, ...options }, { calls: new CallService({ engine, calls, startBot: toneBot, maxCallMs: 60_000, logger }), logger, media: { host: '127.0.0.1', session: { bargeIn: false, botRateHz: BOT_RATE_HZ } } });
    phone = await Baresip.start({ dir: mkdtempSync(join(dir, 'phone-')), speakWav: join(dir, speakWav), account, modules, config: phoneConfig });
    const port = via ? await via(endpoint.local) : endpoint.local.port;
    await phone.dial(target ? target(endpoint) : `sip:bot@127.0.0.1:${port}`);
    await phone.event('CALL_ESTABLISHED');
    await until(() => sessions.length === 1, 'the bot attached');
    return sessions[0]!;
  };

  beforeAll(() => {
    engine = new MediaEngine({ logger });
    calls = new CallRegistry();
    dir = mkdtempSync(join(tmpdir(), 'parley-sip-baresip-'));
    writeWavFile(join(dir, 'speak.wav'), sine(8000 * 30, 8000, 300, 6000), 8000);
    // baresip 1.0 does not resample nor remix: aufile must match Opus's 48 kHz stereo.
    execFileSync('sox', ['-n', '-r', '48000', '-c', '2', '-b', '16', join(dir, 'speak48k.wav'), 'synth', '30', 'sine', '300', 'vol', '0.2']);
  });
  afterEach(async () => {
    relay?.close();
    relay = undefined;
    await phone?.stop();
    await endpoint?.close();
    phone = undefined;
    endpoint = undefined;
    sessions.length = 0;
    digits.length = 0;
    botFrames = 0;
    botLoudFrames = 0;
    offered.length = 0;
  });
  afterAll(() => {
    engine.stop();
    if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
  });

  it('stops sending RTP to a phone that puts the call on hold and sends again once it resumes', async () => {
    const media = await call('audio_codecs=PCMU');
    const packets = (): { sent: number; frames: number } => ({ sent: media.stats().packetsSent ?? 0, frames: botFrames });
    await until(() => packets().sent > 50, 'audio toward the phone');

    const invites = await invitesReceived();
    await phone!.command('hold');
    await until(async () => (await invitesReceived()) > invites, 'the hold re-INVITE');
    const held = packets();
    await until(() => packets().frames >= held.frames + 25, 'half a second on hold');
    const onHold = packets();
    console.info(`hold: Parley sent ${onHold.sent - held.sent} packets in ${(onHold.frames - held.frames) * 20} ms`);
    expect(onHold.sent - held.sent).toBeLessThanOrEqual(1);

    await phone!.command('resume');
    await until(async () => (await invitesReceived()) > invites + 1, 'the resume re-INVITE');
    const resumed = packets();
    await until(() => packets().frames >= resumed.frames + 25, 'half a second after resume');
    const after = packets();
    console.info(`resume: Parley sent ${after.sent - resumed.sent} packets in ${(after.frames - resumed.frames) * 20} ms`);
    expect(after.sent - resumed.sent).toBeGreaterThanOrEqual(20);

    await phone!.command('hangup');
    await phone!.event('CALL_CLOSED');
    // The tone reached the phone before the hold and after the resume.
    await until(() => phone!.heard().length > 0, 'the phone recording');
    expect(rmsDbfs(phone!.heard())).toBeGreaterThan(-30);
  });

  it('carries DTMF both ways on an Opus call whose phone offers telephone-event/8000', async () => {
    const media = await call('audio_codecs=opus/48000/2', ['opus.so'], 'speak48k.wav');
    expect(media.networkCodec).toBe('opus');
    // baresip's c= names its eth0 address while it sends from 127.0.0.1: the source latch takes
    // that unsignalled source only after its learning window, and refuses packets until then.
    await until(() => (media.stats().packetsReceived ?? 0) > 0, 'the phone\'s media latched');
    await phone!.command('sndcode', '159#');
    await until(() => digits.length >= 4, `the phone's digits at the bot (got ${digits.join('')})`);
    expect(digits.join('')).toBe('159#');

    media.sendDtmf('2486');
    const received = (): string => phone!.events.filter((event) => event.type === 'CALL_DTMF_START').map((event) => String(event.param ?? '')).join('');
    await until(() => received().length >= 4, `Parley's digits at the phone (got ${received()})`);
    expect(received()).toBe('2486');
  });

  for (const ptimeMs of [10, 30, 40, 60]) {
    it(`sends ${ptimeMs} ms packets to a phone that asks for a=ptime:${ptimeMs}, and the phone hears the bot`, async () => {
      const media = await call(`audio_codecs=PCMU;ptime=${ptimeMs}`);
      await until(() => (media.stats().packetsSent ?? 0) > 0, 'audio toward the phone');
      const start = { sent: media.stats().packetsSent ?? 0, frames: botFrames };
      // Two seconds of call time, counted in the 20 ms frames the session runs on.
      await until(() => botFrames >= start.frames + 100, 'two seconds of call');
      const sent = (media.stats().packetsSent ?? 0) - start.sent;
      const elapsedMs = (botFrames - start.frames) * 20;
      console.info(`ptime ${ptimeMs}: ${sent} packets in ${elapsedMs} ms (${(elapsedMs / sent).toFixed(1)} ms each)`);
      expect(Math.abs(elapsedMs / sent - ptimeMs)).toBeLessThan(ptimeMs * 0.1);

      await phone!.command('hangup');
      await phone!.event('CALL_CLOSED');
      await until(() => phone!.heard().length > 0, 'the phone recording');
      // The bot's tone, decoded by the phone from packets of that size: loud, not garbled silence.
      expect(rmsDbfs(phone!.heard())).toBeGreaterThan(-30);
    });
  }

  // Opus at other packet durations (RFC 7587 section 4.2, RFC 6716 section 2.1.4): the phone asks
  // for a=ptime, Parley sends Opus frames of that length, and the phone sends them too.
  for (const ptimeMs of [10, 40, 60]) {
    it(`sends and receives ${ptimeMs} ms Opus packets with a phone that asks for a=ptime:${ptimeMs}: each side hears the other`, async () => {
      const media = await call(`audio_codecs=opus/48000/2;ptime=${ptimeMs}`, ['opus.so'], 'speak48k.wav');
      expect(media.networkCodec).toBe('opus');
      // Counted from the latch: baresip's c= is not the address it sends from (see the DTMF test).
      await until(() => (media.stats().packetsReceived ?? 0) > 0 && (media.stats().packetsSent ?? 0) > 0, 'audio both ways');
      const start = { sent: media.stats().packetsSent ?? 0, received: media.stats().packetsReceived ?? 0, frames: botFrames, loud: botLoudFrames };
      await until(() => botFrames >= start.frames + 100, 'two seconds of call');
      const stats = media.stats();
      const elapsedMs = (botFrames - start.frames) * 20;
      const sent = (stats.packetsSent ?? 0) - start.sent;
      const received = (stats.packetsReceived ?? 0) - start.received;
      console.info(`opus ptime ${ptimeMs}: sent ${sent}, received ${received} packets in ${elapsedMs} ms; bot heard the tone in ${botLoudFrames - start.loud} frames`);
      expect(Math.abs(elapsedMs / sent - ptimeMs)).toBeLessThan(ptimeMs * 0.1);
      expect(Math.abs(elapsedMs / received - ptimeMs)).toBeLessThan(ptimeMs * 0.15);
      // The phone's tone reached the bot through its packets' decoding, without gaps of silence.
      expect(botLoudFrames - start.loud).toBeGreaterThan(90);
      expect(stats.decodeErrors).toBe(0);

      await phone!.command('hangup');
      await phone!.event('CALL_CLOSED');
      await until(() => phone!.heard().length > 0, 'the phone recording');
      expect(rmsDbfs(phone!.heard())).toBeGreaterThan(-30);
    });
  }

  // baresip 1.0 offers only AES_CM_128_HMAC_SHA1_80 and has no setting to change that: for _32
  // its offer is renamed in transit (onlySha1_32), and the phone runs whichever the answer names.
  for (const suite of ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'] as const) {
    it(`carries audio both ways on an SDES-SRTP call with ${suite}`, async () => {
      const media = await call('audio_codecs=PCMU;mediaenc=srtp-mand', ['srtp.so'], 'speak.wav', suite.endsWith('_32') ? onlySha1_32 : undefined);
      expect(offered.at(-1)).toMatchObject({ codec: 'PCMU', srtp: suite });
      await until(() => phone!.log.includes(`cryptosuite=${suite}`), `the phone running ${suite}`);
      // Counted from the latch: baresip's c= is not the address it sends from (see the DTMF test).
      await until(() => (media.stats().packetsReceived ?? 0) > 0, 'the phone\'s media latched');
      const latched = { frames: botFrames, received: media.stats().packetsReceived ?? 0 };
      await until(() => botFrames > latched.frames + 100, 'two seconds of call');
      const stats = media.stats();
      expect(stats.srtpFailed).toBe(0);
      expect((stats.packetsReceived ?? 0) - latched.received).toBeGreaterThan(50);
      await phone!.command('hangup');
      await phone!.event('CALL_CLOSED');
      await until(() => phone!.heard().length > 0, 'the phone recording');
      expect(rmsDbfs(phone!.heard())).toBeGreaterThan(-30);
    });
  }

  it('takes a call over SIP/TCP: the phone hears the bot, and the bot\'s hangup reaches the phone as a BYE on the same connection', async () => {
    await call('audio_codecs=PCMU', [], 'speak.wav', undefined, (parley) => `sip:bot@127.0.0.1:${parley.local.port};transport=tcp`);
    expect(offered.at(-1)).toMatchObject({ transport: 'TCP' });
    await until(() => botFrames > 50, 'a second of call');
    sessions[0]!.hangup('bot_hangup');
    await phone!.event('CALL_CLOSED');
    await until(() => phone!.heard().length > 0, 'the phone recording');
    expect(rmsDbfs(phone!.heard())).toBeGreaterThan(-30);
  });

  it('takes a call over SIP/TLS with a self-signed certificate, and the phone\'s BYE ends it', async () => {
    const tls = { port: 0, ...selfSignedCert(dir) };
    const media = await call('audio_codecs=PCMU', [], 'speak.wav', undefined, (parley) => `sip:bot@127.0.0.1:${parley.tlsPort};transport=tls`, { tls });
    expect(offered.at(-1)).toMatchObject({ transport: 'TLS' });
    await until(() => botFrames > 50, 'a second of call');
    const ended = new Promise((resolve) => media.once('ended', resolve));
    await phone!.command('hangup');
    await ended;
    await phone!.event('CALL_CLOSED');
  });
  // RTCP both ways (RFC 3550 section 6.4): baresip's CALL_RTCP event carries its RTCP statistics
  // (libre's rtcp_stats): `rx.sent` is the packet count of Parley's SR, `tx.lost`/`tx.jit` what
  // Parley's report block said about the phone's stream, `rtt` (µs) what the phone computed from
  // that block's LSR/DLSR. Parley's own stats carry the RTT from the phone's block and its loss
  // and jitter about Parley's stream.
  const rtcpVariants = [
    { name: 'on the RTP port + 1', account: 'audio_codecs=PCMU', modules: [] as string[], config: [] as string[] },
    { name: 'multiplexed on the RTP port (a=rtcp-mux)', account: 'audio_codecs=PCMU', modules: [], config: ['rtcp_mux yes'] },
    { name: 'as SRTCP on an SDES-SRTP call', account: 'audio_codecs=PCMU;mediaenc=srtp-mand', modules: ['srtp.so'], config: [] },
  ];
  for (const variant of rtcpVariants) {
    it(`exchanges RTCP reports with the phone ${variant.name}: RTT measured at both ends, loss and jitter reported`, { timeout: 90_000 }, async () => {
      const media = await call(variant.account, variant.modules, 'speak.wav', undefined, undefined, {}, variant.config);
      interface PhoneRtcp { tx: { sent: number; lost: number; jit: number }; rx: { sent: number; lost: number; jit: number }; rtt: number }
      const phoneReports = (): PhoneRtcp[] =>
        phone!.events.filter((event) => event.type === 'CALL_RTCP' && event.rtcp_stats !== undefined).map((event) => event.rtcp_stats as PhoneRtcp);
      // Two report rounds each way (5 s apart on average) before both ends have an RTT.
      const rtcpWaitMs = 45_000;
      const deadline = Date.now() + rtcpWaitMs;
      while (!((media.stats().rtcp?.rttSamples ?? 0) > 0 && phoneReports().some((report) => report.rtt > 0))) {
        if (Date.now() > deadline) throw new Error(`no RTT at both ends within ${rtcpWaitMs} ms: Parley ${JSON.stringify(media.stats().rtcp)}, phone ${JSON.stringify(phoneReports())}`);
        await new Promise((resolve) => setTimeout(resolve, 100)); // polling counters nothing announces
      }
      const stats = media.stats();
      const rtcp = stats.rtcp!;
      const phoneReport = phoneReports().filter((report) => report.rtt > 0).at(-1)!;
      console.info(`RTCP ${variant.name}: Parley ${JSON.stringify(rtcp)}; phone ${JSON.stringify(phoneReport)}`);
      // Parley read the phone's reports: a loopback round trip, and no loss of Parley's stream.
      expect(rtcp.malformed).toBe(0);
      expect(rtcp.received).toBeGreaterThanOrEqual(1);
      expect(rtcp.rttLastMs!).toBeGreaterThanOrEqual(0);
      expect(rtcp.rttLastMs!).toBeLessThan(100);
      expect(rtcp.remote).toBeDefined();
      expect(rtcp.remote!.cumulativeLost).toBeLessThanOrEqual(1);
      expect(rtcp.remote!.jitterMs).toBeLessThan(40);
      // The phone read Parley's: its SR's packet count is a count Parley really sent, and the RTT
      // the phone derived from Parley's LSR/DLSR is a loopback one (a wrong DLSR unit or a missing
      // LSR gives 0 or seconds).
      expect(phoneReport.rx.sent).toBeGreaterThan(50);
      expect(phoneReport.rx.sent).toBeLessThanOrEqual(stats.packetsSent ?? 0);
      expect(phoneReport.rtt).toBeLessThan(100_000);
      expect(phoneReport.tx.lost).toBeLessThanOrEqual(1);
      expect(stats.srtpFailed).toBe(0);
      if (variant.config.includes('rtcp_mux yes')) expect(phone!.log).toContain('RTP/RTCP multiplexing enabled');

      // The call's quality score, in the end-of-call line's shape: a clean loopback G.711 call
      // scores near the codec's maximum (R 93.2, MOS 4.41).
      const quality = calls.list()[0]!.quality!;
      expect(quality.rttMs).toBeDefined();
      expect(quality.mos).toBeGreaterThan(4.2);
      expect(quality.outbound).toBeDefined();
    });
  }
});
