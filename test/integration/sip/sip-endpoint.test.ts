import alawmulaw from 'alawmulaw';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RtpHeader, SrtpSession } from 'werift';
import { pino } from 'pino';
import type { BotStarter } from '../../../engine/call/call.js';
import { CallRegistry } from '../../../engine/call/call-registry.js';
import { CallService } from '../../../engine/call/call-service.js';
import { MediaEngine } from '../../../engine/media/media-engine.js';
import { registry } from '../../../engine/metrics.js';
import { mutants } from '../../support/mutate.js';
import { SipEndpoint, type SipEndpointDeps } from '../../../gateway-adapters/sip/sip-endpoint.js';
import type { SipEndpointOptions } from '../../../gateway-adapters/sip/sip-endpoint-options.js';
import { OpusDecoder, OpusEncoder } from '../../../engine/native/opus.js';
import { RtpPeer } from '../../support/rtp-peer.js';
import type { SipResponse } from '../../../gateway-adapters/sip/sip-message.js';
import { offerSdp, SipTestClient, toTagOf, type Dialog } from '../../support/sip-client.js';
import { bestAlignment, rmsDbfs } from '../../support/signal-metrics.js';
import { renderSpeech } from '../../support/speech.js';

const logger = pino({ level: process.env.SIP_TEST_LOG ?? 'silent' });
const TEXT = 'Hello, this is a call to the bot over SIP.';

// A bot that plays back what it hears, so both directions can be compared with the input.
const echoBot: BotStarter = (media) => {
  const listener = (pcm: Int16Array): void => {
    media.play(pcm.slice());
  };
  media.on('audio', listener);
  return { stop: () => media.off('audio', listener) };
};

function frames(signal: Int16Array, size: number): Int16Array[] {
  const out: Int16Array[] = [];
  for (let i = 0; i + size <= signal.length; i += size) out.push(signal.subarray(i, i + size));
  return out;
}

// Median, over 0.5 s segments of the input that carry speech, of each segment's best correlation
// with the output: robust to the jitter buffer moving the delay during the call (a loaded CI
// machine paces the test's packets unevenly), while noise or silence scores near 0.
function segmentCorrelation(input: Int16Array, output: Int16Array, rateHz: number): number {
  const segment = rateHz / 2;
  const scores: number[] = [];
  for (let start = 0; start + segment <= input.length; start += segment) {
    const piece = input.subarray(start, start + segment);
    if (rmsDbfs(piece) < -40) continue;
    scores.push(bestAlignment(piece, output.subarray(start), 0, rateHz).correlation);
  }
  scores.sort((a, b) => a - b);
  return scores[Math.floor(scores.length / 2)] ?? 0;
}

async function refusedCount(reason: string): Promise<number> {
  return (await registry.getSingleMetric('parley_refused_total')!.get()).values.find((v) => v.labels.surface === 'sip' && v.labels.reason === reason)?.value ?? 0;
}

async function seriesOf(name: string): Promise<string[]> {
  return (await registry.getSingleMetric(name)!.get()).values.map((value) => JSON.stringify(value.labels)).sort();
}

// Polls a condition the test cannot be told about by an event (a counter), with a bounded wait.
async function waitUntil(condition: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function answerPort(sdp: string): number {
  return Number(/^m=audio (\d+) /m.exec(sdp)?.[1]);
}

describe('direct SIP endpoint over real UDP', () => {
  let engine: MediaEngine;
  let calls: CallRegistry;
  const endpoints: SipEndpoint[] = [];
  const clients: SipTestClient[] = [];
  const peers: RtpPeer[] = [];

  const start = async (options: SipEndpointOptions = {}): Promise<{ endpoint: SipEndpoint; client: SipTestClient }> => {
    const deps: SipEndpointDeps = { calls: new CallService({ engine, calls, startBot: echoBot, maxCallMs: 60_000, logger }), logger, media: { host: '127.0.0.1', session: { bargeIn: false } } };
    const endpoint = await SipEndpoint.start({ port: 0, ...options }, deps);
    endpoints.push(endpoint);
    const client = await SipTestClient.open(endpoint.local);
    clients.push(client);
    return { endpoint, client };
  };

  const rtpPeer = async (): Promise<RtpPeer> => {
    const peer = await RtpPeer.open();
    peers.push(peer);
    return peer;
  };

  // INVITE, 200 OK, ACK: returns the dialog (with the endpoint's tag) and the answer SDP.
  const connect = async (client: SipTestClient, sdp: string): Promise<{ dialog: Dialog; answer: string }> => {
    const dialog = client.newDialog();
    client.invite(dialog, sdp);
    const ok = await client.waitForResponse(dialog.callId, 'INVITE', 200);
    dialog.toTag = toTagOf(ok);
    client.ack(dialog, true);
    return { dialog, answer: ok.body };
  };

  // A re-INVITE inside the dialog, its final response, and the ACK.
  const reinvite = async (client: SipTestClient, dialog: Dialog, cseq: number, sdp: string): Promise<SipResponse> => {
    client.sendRaw(client.request('INVITE', dialog, cseq, { body: sdp, headers: [['Content-Type', 'application/sdp']], branch: `z9hG4bKre${cseq}` }));
    const response = await client.waitFor(({ message }) => message.kind === 'response' && message.headers.get('cseq') === `${cseq} INVITE` && message.status >= 200).then((r) => r.message as SipResponse);
    client.sendRaw(client.request('ACK', dialog, cseq, { branch: `z9hG4bKreack${cseq}` }));
    return response;
  };

  beforeAll(() => {
    engine = new MediaEngine({ logger });
    calls = new CallRegistry();
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    for (const peer of peers.splice(0)) peer.close();
    for (const endpoint of endpoints.splice(0)) await endpoint.close();
  });
  afterAll(() => engine.stop());

  it('answers OPTIONS with 200 and its capabilities', async () => {
    const { client } = await start();
    const dialog = client.newDialog();
    client.sendRaw(client.request('OPTIONS', dialog, 1));
    const ok = await client.waitForResponse(dialog.callId, 'OPTIONS', 200);
    expect(ok.headers.get('allow')).toContain('INVITE');
    expect(ok.headers.all('allow')).toEqual(expect.arrayContaining(['BYE', 'CANCEL', 'OPTIONS', 'ACK']));
  });

  it('carries a PCMU call both ways: speech reaches the bot and its audio comes back, then BYE ends it', async () => {
    const { client } = await start();
    const peer = await rtpPeer();
    const { dialog, answer } = await connect(client, offerSdp({ port: peer.port }));
    expect(answer).toMatch(/^m=audio \d+ RTP\/AVP 0 101\r?$/m);
    expect(answer).toContain('a=rtpmap:101 telephone-event/8000');
    expect(answer).not.toContain('a=crypto');
    await expect.poll(() => calls.size).toBe(1);

    const speech8k = renderSpeech(TEXT, { rateHz: 8000 });
    const payloads = frames(speech8k, 160).map((frame) => alawmulaw.mulaw.encode(frame));
    await peer.stream(payloads, answerPort(answer), { payloadType: 0, ssrc: 0x5151, samplesPerFrame: 160 });
    await peer.waitFor(payloads.length + 10);
    const back = peer.received.map((r) => r.packet).filter((p) => p.header.payloadType === 0);
    const returned = Int16Array.from(back.flatMap((p) => [...alawmulaw.mulaw.decode(p.payload)]));
    // The echo of the caller's speech: same words back, well above silence.
    expect(segmentCorrelation(speech8k, returned, 8000)).toBeGreaterThan(0.8);
    expect(rmsDbfs(returned)).toBeGreaterThan(-40);

    client.sendRaw(client.request('BYE', dialog, 2, { branch: 'z9hG4bKbye1' }));
    await client.waitForResponse(dialog.callId, 'BYE', 200);
    await expect.poll(() => calls.size).toBe(0);
  });

  it('negotiates SDES-SRTP when the offer carries a=crypto under RTP/AVP, and the audio is encrypted both ways', async () => {
    const { client } = await start({ srtp: 'optional' });
    const peer = await rtpPeer();
    const key = Buffer.from(Array.from({ length: 30 }, (_, i) => (i * 7 + 3) & 0xff));
    const { dialog, answer } = await connect(client, offerSdp({ port: peer.port, crypto: `inline:${key.toString('base64')}` }));
    const answered = /a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:([A-Za-z0-9+/=]+)/.exec(answer);
    expect(answered).not.toBeNull();
    expect(answer).toMatch(/^m=audio \d+ RTP\/AVP /m);
    const theirKey = Buffer.from(answered![1]!, 'base64');
    expect(theirKey.length).toBe(30);
    expect(theirKey.equals(key)).toBe(false);
    const srtp = new SrtpSession({
      profile: 1,
      keys: { localMasterKey: key.subarray(0, 16), localMasterSalt: key.subarray(16), remoteMasterKey: theirKey.subarray(0, 16), remoteMasterSalt: theirKey.subarray(16) },
    });

    const speech8k = renderSpeech(TEXT, { rateHz: 8000 });
    const payloads = frames(speech8k, 160).map((frame) => Buffer.from(alawmulaw.mulaw.encode(frame)));
    const port = answerPort(answer);
    const startMs = performance.now();
    for (let i = 0; i < payloads.length; i++) {
      // The traffic's shape: one packet per 20 ms of media time.
      const waitMs = startMs + 20 * i - performance.now();
      if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
      const header = new RtpHeader({ version: 2, payloadType: 0, ssrc: 0x7777, sequenceNumber: 100 + i, timestamp: 1000 + 160 * i, marker: i === 0 });
      peer.sendRaw(srtp.encrypt(payloads[i]!, header), port);
    }
    await peer.waitFor(payloads.length + 10);
    const decoded: number[] = [];
    for (const { packet } of peer.received) {
      const plain = srtp.decrypt(packet.serialize());
      decoded.push(...alawmulaw.mulaw.decode(plain.subarray(12)));
    }
    const returned = Int16Array.from(decoded);
    expect(segmentCorrelation(speech8k, returned, 8000)).toBeGreaterThan(0.8);
    client.sendRaw(client.request('BYE', dialog, 2, { branch: 'z9hG4bKbye2' }));
    await client.waitForResponse(dialog.callId, 'BYE', 200);
  });

  it('follows a re-INVITE to a new address with new SDES keys: the audio goes both ways from the new peer, Parley\'s key kept', async () => {
    const { client } = await start({ srtp: 'optional' });
    const first = await rtpPeer();
    const second = await rtpPeer();
    const keyA = Buffer.alloc(30, 0x11);
    const keyB = Buffer.alloc(30, 0x22);
    const { dialog, answer } = await connect(client, offerSdp({ port: first.port, crypto: `inline:${keyA.toString('base64')}` }));
    const ours = /a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:([A-Za-z0-9+/=]+)/.exec(answer)![1]!;
    await expect.poll(() => calls.size).toBe(1);
    // The first peer talks for a while, so Parley has latched onto it before the move.
    const srtpA = new SrtpSession({ profile: 1, keys: { localMasterKey: keyA.subarray(0, 16), localMasterSalt: keyA.subarray(16), remoteMasterKey: Buffer.alloc(16), remoteMasterSalt: Buffer.alloc(14) } });
    const silence = Buffer.from(alawmulaw.mulaw.encode(new Int16Array(160)));
    for (let i = 0; i < 25; i++) first.sendRaw(srtpA.encrypt(silence, new RtpHeader({ version: 2, payloadType: 0, ssrc: 0x7777, sequenceNumber: i, timestamp: 160 * i })), answerPort(answer));
    await first.waitFor(5);

    client.sendRaw(client.request('INVITE', dialog, 2, { body: offerSdp({ port: second.port, crypto: `inline:${keyB.toString('base64')}` }), headers: [['Content-Type', 'application/sdp']], branch: 'z9hG4bKmove' }));
    const moved = await client.waitFor(({ message }) => message.kind === 'response' && message.headers.get('cseq') === '2 INVITE' && message.status >= 200).then((r) => r.message as SipResponse);
    expect(moved.status).toBe(200);
    client.sendRaw(client.request('ACK', dialog, 2, { branch: 'z9hG4bKmoveack' }));
    // RFC 4568 section 7.1.4: the answerer may keep its key; Parley does, so only inbound is re-keyed.
    expect(moved.body).toContain(`inline:${ours}`);
    const theirKey = Buffer.from(ours, 'base64');
    const srtp = new SrtpSession({
      profile: 1,
      keys: { localMasterKey: keyB.subarray(0, 16), localMasterSalt: keyB.subarray(16), remoteMasterKey: theirKey.subarray(0, 16), remoteMasterSalt: theirKey.subarray(16) },
    });
    const port = answerPort(moved.body);
    // Still in flight from the old address after the move: must not pull the leg back there.
    for (let i = 25; i < 30; i++) first.sendRaw(srtpA.encrypt(silence, new RtpHeader({ version: 2, payloadType: 0, ssrc: 0x7777, sequenceNumber: i, timestamp: 160 * i })), port);
    const speech8k = renderSpeech(TEXT, { rateHz: 8000 });
    const payloads = frames(speech8k, 160).map((frame) => Buffer.from(alawmulaw.mulaw.encode(frame)));
    const startMs = performance.now();
    for (let i = 0; i < payloads.length; i++) {
      const waitMs = startMs + 20 * i - performance.now();
      if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs)); // pacing, one packet per 20 ms
      const header = new RtpHeader({ version: 2, payloadType: 0, ssrc: 0x8888, sequenceNumber: 500 + i, timestamp: 9000 + 160 * i, marker: i === 0 });
      second.sendRaw(srtp.encrypt(payloads[i]!, header), port);
    }
    await second.waitFor(payloads.length);
    const returned = Int16Array.from(second.received.flatMap(({ packet }) => [...alawmulaw.mulaw.decode(srtp.decrypt(packet.serialize()).subarray(12))]));
    // The new peer's speech came back to the new peer: both directions followed the re-INVITE.
    expect(segmentCorrelation(speech8k, returned, 8000)).toBeGreaterThan(0.8);
    client.sendRaw(client.request('BYE', dialog, 3, { branch: 'z9hG4bKbyemove' }));
    await client.waitForResponse(dialog.callId, 'BYE', 200);
  });

  it('turns SDES-SRTP on by re-INVITE (new keys both ways), then off again: the audio follows each answer', async () => {
    const { client } = await start({ srtp: 'optional' });
    const peer = await rtpPeer();
    const { dialog, answer } = await connect(client, offerSdp({ port: peer.port }));
    expect(answer).not.toContain('a=crypto');
    await expect.poll(() => calls.size).toBe(1);

    const key = Buffer.alloc(30, 0x33);
    const secured = await reinvite(client, dialog, 2, offerSdp({ port: peer.port, extra: [`a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${key.toString('base64')}`] }));
    expect(secured.status).toBe(200);
    const ours = Buffer.from(/a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:([A-Za-z0-9+/=]+)/.exec(secured.body)![1]!, 'base64');
    // werift's SRTP (an implementation independent of Parley's; it has no _32 suite).
    const srtp = new SrtpSession({ profile: 1, keys: { localMasterKey: key.subarray(0, 16), localMasterSalt: key.subarray(16), remoteMasterKey: ours.subarray(0, 16), remoteMasterSalt: ours.subarray(16) } });
    const speech8k = renderSpeech(TEXT, { rateHz: 8000 });
    const payloads = frames(speech8k, 160).map((frame) => Buffer.from(alawmulaw.mulaw.encode(frame)));
    const port = answerPort(secured.body);
    const startMs = performance.now();
    const before = peer.received.length;
    for (let i = 0; i < payloads.length; i++) {
      const waitMs = startMs + 20 * i - performance.now();
      if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs)); // pacing, one packet per 20 ms
      peer.sendRaw(srtp.encrypt(payloads[i]!, new RtpHeader({ version: 2, payloadType: 0, ssrc: 0x9999, sequenceNumber: 700 + i, timestamp: 160 * i, marker: i === 0 })), port);
    }
    await peer.waitFor(before + payloads.length);
    // Parley's packets after the answer carry the 80-bit tag and decrypt with its new key; the
    // caller's speech came back through them.
    const securedPackets = peer.received.slice(before).map(({ packet }) => packet.serialize()).filter((bytes) => bytes.length === 12 + 160 + 10);
    expect(securedPackets.length).toBeGreaterThan(payloads.length / 2);
    const returned = Int16Array.from(securedPackets.flatMap((bytes) => [...alawmulaw.mulaw.decode(srtp.decrypt(bytes).subarray(12))]));
    expect(segmentCorrelation(speech8k, returned, 8000)).toBeGreaterThan(0.8);

    const plain = await reinvite(client, dialog, 3, offerSdp({ port: peer.port }));
    expect(plain.status).toBe(200);
    expect(plain.body).not.toContain('a=crypto');
    const sincePlain = peer.received.length;
    await peer.waitFor(sincePlain + 20);
    // Plain RTP again: a bare 160-byte PCMU payload, no tag.
    expect(peer.received.slice(-10).every(({ packet }) => packet.serialize().length === 12 + 160)).toBe(true);
    client.sendRaw(client.request('BYE', dialog, 4, { branch: 'z9hG4bKbyesrtp' }));
    await client.waitForResponse(dialog.callId, 'BYE', 200);
  });

  it('moves a PCMU call to Opus when a re-INVITE offers only Opus: a new leg on the same port, the speech comes back Opus encoded', async () => {
    const { client } = await start();
    const peer = await rtpPeer();
    const { dialog, answer } = await connect(client, offerSdp({ port: peer.port }));
    await expect.poll(() => calls.size).toBe(1);
    const moved = await reinvite(client, dialog, 2, offerSdp({ port: peer.port, payloads: '111 101' }));
    expect(moved.status).toBe(200);
    expect(moved.body).toMatch(/^m=audio \d+ RTP\/AVP 111 101\r?$/m);
    // The leg codes at the bot's 16 kHz: the caller is asked for no wider a band (RFC 7587 section 7.1).
    expect(moved.body).toMatch(/^a=fmtp:111 minptime=10;useinbandfec=1;maxplaybackrate=16000;sprop-maxcapturerate=16000\r?$/m);
    expect(answerPort(moved.body)).toBe(answerPort(answer));
    expect(calls.list()[0]!.media!.codec).toBe('opus');

    const speech16k = renderSpeech(TEXT, { rateHz: 16000 });
    const encoder = new OpusEncoder({ sampleRateHz: 16000 });
    const payloads = frames(speech16k, 320).map((frame) => encoder.encode(frame));
    const before = peer.received.length;
    await peer.stream(payloads, answerPort(answer), { payloadType: 111, ssrc: 0x6161, samplesPerFrame: 960 });
    await peer.waitFor(before + payloads.length + 10);
    const back = peer.received.slice(before).map(({ packet }) => packet).filter((packet) => packet.header.payloadType === 111);
    expect(back.length).toBeGreaterThan(payloads.length);
    const decoder = new OpusDecoder(16000);
    const returned = Int16Array.from(back.flatMap((packet) => [...decoder.decode(packet.payload)]));
    expect(segmentCorrelation(speech16k, returned, 16000)).toBeGreaterThan(0.7);
    client.sendRaw(client.request('BYE', dialog, 3, { branch: 'z9hG4bKbyeopus' }));
    await client.waitForResponse(dialog.callId, 'BYE', 200);
  });

  it('switches from PCMU to PCMA when a re-INVITE offers only A-law: the speech comes back A-law encoded', async () => {
    const { client } = await start();
    const peer = await rtpPeer();
    const { dialog, answer } = await connect(client, offerSdp({ port: peer.port }));
    await expect.poll(() => calls.size).toBe(1);
    const switched = await reinvite(client, dialog, 2, offerSdp({ port: peer.port, payloads: '8 101' }));
    expect(switched.status).toBe(200);
    expect(switched.body).toMatch(/^m=audio \d+ RTP\/AVP 8 101\r?$/m);

    const speech8k = renderSpeech(TEXT, { rateHz: 8000 });
    const payloads = frames(speech8k, 160).map((frame) => alawmulaw.alaw.encode(frame));
    await peer.stream(payloads, answerPort(answer), { payloadType: 8, ssrc: 0x5252, samplesPerFrame: 160 });
    await peer.waitFor(payloads.length + 10);
    const back = peer.received.map((r) => r.packet).filter((p) => p.header.payloadType === 8);
    const returned = Int16Array.from(back.flatMap((p) => [...alawmulaw.alaw.decode(p.payload)]));
    expect(segmentCorrelation(speech8k, returned, 8000)).toBeGreaterThan(0.8);
    client.sendRaw(client.request('BYE', dialog, 3, { branch: 'z9hG4bKbyealaw' }));
    await client.waitForResponse(dialog.callId, 'BYE', 200);
  });

  it('refuses an offer without crypto when SRTP is mandatory (488), and SAVP when SRTP is off (488)', async () => {
    const mandatory = await start({ srtp: 'mandatory' });
    const first = mandatory.client.newDialog();
    mandatory.client.invite(first, offerSdp({ port: 40000 }));
    const refused = await mandatory.client.waitForResponse(first.callId, 'INVITE', 488);
    expect(refused.reason).toMatch(/SRTP/);
    const off = await start({ srtp: 'off' });
    const second = off.client.newDialog();
    off.client.invite(second, offerSdp({ port: 40000, protocol: 'RTP/SAVP', crypto: `inline:${Buffer.alloc(30, 1).toString('base64')}` }));
    await off.client.waitForResponse(second.callId, 'INVITE', 488);
  });

  it('retransmits its 200 OK until the ACK (Timer G) and hangs up with BYE when no ACK comes (Timer H)', async () => {
    const { client } = await start({ t1Ms: 20, t2Ms: 80 });
    const dialog = client.newDialog();
    client.invite(dialog, offerSdp({ port: 40002 }));
    const bye = await client.waitForRequest(dialog.callId, 'BYE');
    const oks = client.received.filter(({ message }) => message.kind === 'response' && message.status === 200 && message.headers.get('call-id') === dialog.callId);
    // 64*T1 = 1280 ms at intervals 20, 40, 80, 80...: well over two copies, all the same bytes.
    expect(oks.length).toBeGreaterThan(3);
    expect(new Set(oks.map((ok) => ok.raw)).size).toBe(1);
    client.answer(bye);
    expect(calls.size).toBe(0);
  });

  it('stops retransmitting the 200 OK once ACKed, and sends BYE when the call ends on its side', async () => {
    const { client } = await start({ t1Ms: 20, t2Ms: 80 });
    const peer = await rtpPeer();
    const { dialog, answer } = await connect(client, offerSdp({ port: peer.port }));
    await expect.poll(() => calls.size).toBe(1);
    const countOks = (): number => client.received.filter(({ message }) => message.kind === 'response' && message.status === 200).length;
    const oksAtAck = countOks();
    // 1.6 s of caller audio and its echo, longer than Timer H (1.28 s): an unACKed 200 would have
    // been resent several times and the call hung up by now.
    const tone = Int16Array.from({ length: 160 * 80 }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000)));
    await peer.stream(frames(tone, 160).map((frame) => alawmulaw.mulaw.encode(frame)), answerPort(answer), { payloadType: 0, ssrc: 0x2323, samplesPerFrame: 160 });
    await peer.waitFor(80);
    expect(countOks()).toBeLessThanOrEqual(oksAtAck + 1);
    expect(calls.size).toBe(1);
    calls.endAll('bot_hangup');
    const bye = await client.waitForRequest(dialog.callId, 'BYE');
    expect(bye.headers.get('from')).toContain(`tag=${dialog.toTag}`);
    client.answer(bye);
  });

  it('answers an unchanged re-INVITE with the same media (next SDP version), 481 outside the dialog, and 503 past maxCalls', async () => {
    const { client } = await start({ maxCalls: 1 });
    const peer = await rtpPeer();
    const { dialog, answer } = await connect(client, offerSdp({ port: peer.port }));
    client.sendRaw(client.request('INVITE', dialog, 2, { body: offerSdp({ port: peer.port }), headers: [['Content-Type', 'application/sdp']], branch: 'z9hG4bKreinvite' }));
    const reinvite = await client.waitFor(({ message }) => message.kind === 'response' && message.headers.get('cseq') === '2 INVITE' && message.status >= 200).then((r) => r.message as SipResponse);
    expect(reinvite.status).toBe(200);
    // RFC 3264 section 8: the same session id, the next version, the same stream.
    expect(reinvite.body.replace(/^o=.*$/m, '')).toBe(answer.replace(/^o=.*$/m, ''));
    expect(/^o=\S+ (\d+) (\d+)/m.exec(reinvite.body)!.slice(1).map(Number)).toEqual([Number(/^o=\S+ (\d+)/m.exec(answer)![1]), Number(/^o=\S+ \d+ (\d+)/m.exec(answer)![1]) + 1]);
    const stranger = { ...client.newDialog(), toTag: 'unknown' };
    client.invite(stranger, offerSdp({ port: peer.port }));
    await client.waitForResponse(stranger.callId, 'INVITE', 481);
    const second = client.newDialog();
    client.invite(second, offerSdp({ port: peer.port }));
    const busy = await client.waitForResponse(second.callId, 'INVITE', 503);
    expect(busy.headers.get('retry-after')).toBe('30');
    client.sendRaw(client.request('BYE', dialog, 3, { branch: 'z9hG4bKbye4' }));
    await client.waitForResponse(dialog.callId, 'BYE', 200);
  });

  it('answers CANCEL during ringing with 200, and the INVITE with 487', async () => {
    const { client } = await start({ ringMs: 30_000 });
    const dialog = client.newDialog();
    client.invite(dialog, offerSdp({ port: 40004 }));
    await client.waitForResponse(dialog.callId, 'INVITE', 180);
    client.sendRaw(client.request('CANCEL', dialog, 1));
    await client.waitForResponse(dialog.callId, 'CANCEL', 200);
    const terminated = await client.waitForResponse(dialog.callId, 'INVITE', 487);
    dialog.toTag = toTagOf(terminated);
    client.ack(dialog, false);
    expect(calls.size).toBe(0);
    // A CANCEL that matches no INVITE: 481.
    const stray = client.newDialog();
    client.sendRaw(client.request('CANCEL', stray, 1));
    await client.waitForResponse(stray.callId, 'CANCEL', 481);
  });

  it('refuses sources outside the allowlist with one 403 no larger than the request, and keeps no state for them', async () => {
    const { endpoint, client } = await start({ allowedSources: ['10.0.0.0/8'], t1Ms: 10 });
    const methodsBefore = await seriesOf('parley_sip_requests_total');
    const dialog = client.newDialog();
    const invite = client.request('INVITE', dialog, 1, { body: offerSdp({ port: 40006 }), headers: [['Content-Type', 'application/sdp']] });
    client.sendRaw(invite);
    await client.waitForResponse(dialog.callId, 'INVITE', 403);
    // No server transaction: nothing would retransmit the 403 (Timer G) toward a spoofed source.
    expect(endpoint.openTransactions).toBe(0);
    const options = client.newDialog();
    const request = client.request('OPTIONS', options, 1);
    client.sendRaw(request);
    const refusal = await client.waitFor(({ message }) => message.kind === 'response' && message.headers.get('call-id') === options.callId);
    expect(refusal.message.kind === 'response' && refusal.message.status).toBe(403);
    expect(Buffer.byteLength(refusal.raw)).toBeLessThanOrEqual(Buffer.byteLength(request));
    const inviteRefusal = client.received.find(({ message }) => message.headers.get('call-id') === dialog.callId)!;
    expect(Buffer.byteLength(inviteRefusal.raw)).toBeLessThanOrEqual(Buffer.byteLength(invite));
    // A request whose smallest 403 would be larger than itself gets no answer at all.
    const tiny = client.newDialog();
    const before = await refusedCount('refusal_larger_than_request');
    client.sendRaw(`OPTIONS sip:b@h SIP/2.0\r\nv: SIP/2.0/UDP h;branch=z9hG4bKt\r\ni: ${tiny.callId}\r\nf: <sip:a@h>;tag=${'f'.repeat(200)}\r\nt: <sip:b@h>\r\nCSeq: 1 OPTIONS\r\n\r\n`);
    await waitUntil(async () => (await refusedCount('refusal_larger_than_request')) > before);
    expect(client.received.some(({ message }) => message.headers.get('call-id') === tiny.callId)).toBe(false);
    expect(calls.size).toBe(0);
    expect(endpoint.openTransactions).toBe(0);
    // Refused sources do not reach the per-method counter.
    expect(await seriesOf('parley_sip_requests_total')).toEqual(methodsBefore);
  });

  it('counts requests by a closed set of methods: 500 invented methods add no series', async () => {
    const { client } = await start();
    const methods = ['INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER', 'PRACK', 'SUBSCRIBE', 'NOTIFY', 'PUBLISH', 'INFO', 'REFER', 'MESSAGE', 'UPDATE', 'other'];
    let last = '';
    for (let i = 0; i < 500; i++) {
      const dialog = client.newDialog();
      last = dialog.callId;
      client.sendRaw(client.request(`X${i.toString(36).toUpperCase()}FOO`, dialog, 1));
      if (i % 50 === 49) await client.waitForResponse(dialog.callId, `X${i.toString(36).toUpperCase()}FOO`, 405);
    }
    await client.waitFor(({ message }) => message.headers.get('call-id') === last);
    const labels = (await registry.getSingleMetric('parley_sip_requests_total')!.get()).values.map((value) => value.labels.method);
    expect(labels.every((label) => methods.includes(String(label)))).toBe(true);
    expect(labels).toContain('other');
  });

  it('answers only the bot URI: 404 for another user, 403 for another domain, 416 for another scheme', async () => {
    const { client } = await start({ domains: ['bot.parley.test'] });
    const cases: Array<[string, number]> = [
      ['sip:alice@127.0.0.1', 404],
      ['sip:+15551234567@127.0.0.1', 404],
      ['sip:bot@gateway.example.com', 403],
      ['sips:bot@127.0.0.1', 416],
      ['tel:+15551234567', 416],
    ];
    for (const [uri, status] of cases) {
      const dialog = { ...client.newDialog(), requestUri: uri };
      client.invite(dialog, offerSdp({ port: 40008 }));
      await client.waitForResponse(dialog.callId, 'INVITE', status);
    }
    const accepted = { ...client.newDialog(), requestUri: 'sip:bot@bot.parley.test' };
    client.invite(accepted, offerSdp({ port: 40008 }));
    const ok = await client.waitForResponse(accepted.callId, 'INVITE', 200);
    accepted.toTag = toTagOf(ok);
    client.ack(accepted, true);
    client.sendRaw(client.request('BYE', accepted, 2, { branch: 'z9hG4bKbye3' }));
    await client.waitForResponse(accepted.callId, 'BYE', 200);
  });

  it('survives 1000 mutated INVITEs (flipped bytes, truncations): no internal error, still serving', async () => {
    // Default timers: each refused INVITE's final response is resent after 500 ms, not a flood.
    const { client } = await start({ maxCalls: 3 });
    const internalErrors = (): Promise<number> => refusedCount('internal_error');
    const before = await internalErrors();
    let seed = 12345;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    for (let i = 0; i < 1000; i++) {
      const dialog = client.newDialog();
      const bytes = Buffer.from(client.request('INVITE', dialog, 1, { body: offerSdp({ port: 40012 }), headers: [['Content-Type', 'application/sdp']] }));
      for (let flips = 1 + Math.floor(random() * 4); flips > 0; flips--) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      client.sendRaw(bytes.subarray(0, random() < 0.3 ? Math.floor(random() * bytes.length) : bytes.length).toString('latin1'));
      if (i % 50 === 49) {
        // A round trip every 50 datagrams keeps them within the sockets' receive buffers.
        const probe = client.newDialog();
        await client.requestUntilAnswered(client.request('OPTIONS', probe, 1), probe.callId, 'OPTIONS', 200);
      }
    }
    const after = client.newDialog();
    await client.requestUntilAnswered(client.request('OPTIONS', after, 1), after.callId, 'OPTIONS', 200);
    expect(await internalErrors()).toBe(before);
    expect(client.unparsable).toBe(0);
    expect(client.received.filter(({ message }) => message.kind === 'response' && message.status >= 400).length).toBeGreaterThan(100);
  });

  it('survives 3000 mutants of every request kind and of responses, inside a live dialog too: no internal error', async () => {
    const { client } = await start({ maxCalls: 3, t1Ms: 20, t2Ms: 80 });
    const peer = await rtpPeer();
    const { dialog } = await connect(client, offerSdp({ port: peer.port }));
    const before = await refusedCount('internal_error');
    const samples = [
      client.request('INVITE', { ...dialog }, 2, { body: offerSdp({ port: peer.port }), headers: [['Content-Type', 'application/sdp']], branch: 'z9hG4bKre' }),
      client.request('BYE', dialog, 3, { branch: 'z9hG4bKbye' }),
      client.request('CANCEL', dialog, 1),
      client.request('ACK', dialog, 1, { branch: 'z9hG4bKack' }),
      client.request('OPTIONS', client.newDialog(), 1),
      `SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKx\r\nFrom: <sip:bot@127.0.0.1>;tag=${dialog.toTag}\r\nTo: <sip:caller@127.0.0.1>;tag=${dialog.fromTag}\r\nCall-ID: ${dialog.callId}\r\nCSeq: 1 BYE\r\nContent-Length: 0\r\n\r\n`,
    ];
    for (const { index, input } of mutants(samples, 3000, 0x51d)) {
      client.sendRaw(input.toString('latin1'));
      if (index % 100 === 99) {
        const probe = client.newDialog();
        await client.requestUntilAnswered(client.request('OPTIONS', probe, 1), probe.callId, 'OPTIONS', 200);
      }
    }
    const after = client.newDialog();
    await client.requestUntilAnswered(client.request('OPTIONS', after, 1), after.callId, 'OPTIONS', 200);
    expect(await refusedCount('internal_error')).toBe(before);
  });

  it('answers malformed SIP and SDP with the right status, and keeps serving', async () => {
    const { endpoint, client } = await start();
    const internalBefore = await refusedCount('internal_error');
    const sdp = offerSdp({ port: 40010 });
    const cases: Array<{ name: string; build: (d: Dialog) => string; status: number }> = [
      { name: 'no Call-ID', build: (d) => client.request('OPTIONS', d, 1, { omit: ['Call-ID'] }), status: 400 },
      { name: 'bad CSeq', build: (d) => client.request('OPTIONS', d, 1, { headers: [['CSeq', 'one OPTIONS']] }), status: 400 },
      { name: 'CSeq method mismatch', build: (d) => client.request('OPTIONS', d, 1, { headers: [['CSeq', '1 INVITE']] }), status: 400 },
      { name: 'header line without colon', build: (d) => client.request('OPTIONS', d, 1).replace('Max-Forwards: 70', 'Max-Forwards 70'), status: 400 },
      { name: 'Content-Length past the datagram', build: (d) => client.request('INVITE', d, 1, { body: sdp, headers: [['Content-Type', 'application/sdp'], ['Content-Length', '9000']] }), status: 400 },
      { name: 'SIP/3.0', build: (d) => client.request('OPTIONS', d, 1).replace(' SIP/2.0\r\n', ' SIP/3.0\r\n'), status: 505 },
      { name: 'unsupported extension', build: (d) => client.request('OPTIONS', d, 1, { headers: [['Require', '100rel']] }), status: 420 },
      { name: 'unknown method', build: (d) => client.request('SUBSCRIBE', d, 1), status: 405 },
      { name: 'BYE outside any dialog', build: (d) => client.request('BYE', { ...d, toTag: 'nope' }, 1), status: 481 },
      { name: 'body not SDP', build: (d) => client.request('INVITE', d, 1, { body: '{"sdp":1}', headers: [['Content-Type', 'application/json']] }), status: 415 },
      { name: 'INVITE without offer', build: (d) => client.request('INVITE', d, 1), status: 488 },
      { name: 'SDP that does not parse', build: (d) => client.request('INVITE', d, 1, { body: 'hello\r\n', headers: [['Content-Type', 'application/sdp']] }), status: 400 },
      { name: 'SDP with a bad port', build: (d) => client.request('INVITE', d, 1, { body: sdp.replace('m=audio 40010', 'm=audio 99999'), headers: [['Content-Type', 'application/sdp']] }), status: 400 },
      { name: 'SDP without a common codec', build: (d) => client.request('INVITE', d, 1, { body: offerSdp({ port: 40010, payloads: '18' }), headers: [['Content-Type', 'application/sdp']] }), status: 488 },
      { name: 'bad % escape in the Request-URI', build: (d) => client.request('INVITE', { ...d, requestUri: `sip:b%ZZot@127.0.0.1:${endpoint.local.port}` }, 1, { body: sdp, headers: [['Content-Type', 'application/sdp']] }), status: 400 },
      { name: 'SDP payload type above 127', build: (d) => client.request('INVITE', d, 1, { body: offerSdp({ port: 40010, payloads: '200' }), headers: [['Content-Type', 'application/sdp']] }), status: 488 },
      { name: 'SDP rtpmap with a number for a codec name', build: (d) => client.request('INVITE', d, 1, { body: sdp.replace('a=rtpmap:0 PCMU/8000', 'a=rtpmap:0 0 PCMU/8000'), headers: [['Content-Type', 'application/sdp']] }), status: 400 },
      { name: 'SDP with only video', build: (d) => client.request('INVITE', d, 1, { body: sdp.replace('m=audio', 'm=video'), headers: [['Content-Type', 'application/sdp']] }), status: 488 },
    ];
    for (const testCase of cases) {
      const dialog = client.newDialog();
      // Responses are matched on Call-ID; a request without one is found by its reason instead.
      client.sendRaw(testCase.build(dialog));
      const response = await client.waitFor(
        ({ message }) => message.kind === 'response' && (message.headers.get('call-id') === dialog.callId || (testCase.name === 'no Call-ID' && message.reason.includes('call-id'))),
      );
      expect({ name: testCase.name, status: response.message.kind === 'response' ? response.message.status : 0 }).toEqual({ name: testCase.name, status: testCase.status });
    }
    // Datagrams that are not SIP get no answer; the endpoint still serves the next request.
    client.sendRaw('\x00\x01garbage\r\n\r\n');
    client.sendRaw('INVITE\r\n\r\n');
    const after = client.newDialog();
    client.sendRaw(client.request('OPTIONS', after, 1));
    await client.waitForResponse(after.callId, 'OPTIONS', 200);
    expect(client.received.filter(({ message }) => message.kind === 'response').length).toBe(cases.length + 1);
    expect(calls.size).toBe(0);
    expect(await refusedCount('internal_error')).toBe(internalBefore);
  });
});
