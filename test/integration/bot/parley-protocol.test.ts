import alawmulaw from 'alawmulaw';
import { describe, expect, it } from 'vitest';
import type { Counter } from 'prom-client';
import { botMetrics } from '../../../engine/bot/bot-metrics.js';
import { registry } from '../../../engine/metrics.js';
import { counterValue, framesPlayedAtClears, loudCount, PROBE_AMPLITUDE, untilProbeHeard, heardFrames, isVoiced, pcmBytes, tone, untilRtp, voicedCount } from '../../support/bot-call.js';
import { frames } from '../../support/frames.js';
import type { BotCall } from '../../support/bot-call.js';
import { botFixture } from '../../support/bot-fixture.js';
import type { BotPeer } from '../../support/bot-server.js';
import { bestAlignment, blockCorrelations } from '../../support/signal-metrics.js';
import { renderSpeech } from '../../support/speech.js';

const CALLER_TEXT = 'Hello bot, this is the caller speaking to you.';
const FRAME_BYTES_16K = 640;

// Speech padded to whole 20 ms frames, sent as messages of up to 50 frames (1 s).
function sendSpeech(peer: { send(data: Buffer): void }, pcm: Int16Array, rateHz: number): void {
  const frameSamples = (rateHz / 1000) * 20;
  const padded = new Int16Array(Math.ceil(pcm.length / frameSamples) * frameSamples);
  padded.set(pcm);
  for (let i = 0; i < padded.length; i += frameSamples * 50) peer.send(pcmBytes(padded.subarray(i, Math.min(padded.length, i + frameSamples * 50))));
}

describe('Parley bot protocol over a real WebSocket, driven by RTP over real UDP', () => {
  const t = botFixture();

  it('sends start with the call details, then the caller audio as 16 kHz PCM16LE 20 ms frames matching the speech', async () => {
    const { call, bot } = await t.connect({
      bot: { authorization: 'Bearer sesame' },
      info: { callId: 'call-start', from: 'sip:alice@example.test', customParameters: { lang: 'en' } },
    });
    expect(bot.request.headers.authorization).toBe('Bearer sesame');
    const query = new URL(bot.request.url!, 'ws://x').searchParams;
    expect(query.get('callId')).toBe('call-start');
    expect(query.get('from')).toBe('sip:alice@example.test');
    expect(bot.events[0]).toMatchObject({
      event: 'start',
      version: 1,
      callId: 'call-start',
      resumed: false,
      caller: { source: 'sip', from: 'sip:alice@example.test' },
      media: { encoding: 'pcm16le', sampleRateHz: 16000, channels: 1, frameMs: 20, networkCodec: 'PCMU' },
      customParameters: { lang: 'en' },
    });

    const speech8k = renderSpeech(CALLER_TEXT, { rateHz: 8000 });
    const payloads = frames(speech8k, 160).map((frame) => alawmulaw.mulaw.encode(frame));
    await call.peer.stream(payloads, call.localPort, { payloadType: 0, ssrc: 0x4242, samplesPerFrame: 160 });
    await bot.until(() => bot.audio.length >= payloads.length);
    expect(bot.audio.every((frame) => frame.length === FRAME_BYTES_16K)).toBe(true);
    const joined = Buffer.concat(bot.audio);
    const heard = new Int16Array(joined.buffer, joined.byteOffset, joined.length / 2);
    const input16k = renderSpeech(CALLER_TEXT, { rateHz: 16000 });
    // Half-second blocks, each allowed its own lag within ±100 ms: the adaptive jitter buffer
    // stretches or cuts the speech when the loaded machine delays the sender's timer (in CI, one
    // lag over the whole utterance scored 0.46 and 0.74 after the backlog of such a stall was cut).
    const start = bestAlignment(input16k, heard, 0, 8000);
    const blocks = blockCorrelations(input16k, heard, start.lag, 8000, 1600);
    expect(blocks.filter((correlation) => correlation > 0.8).length / blocks.length).toBeGreaterThanOrEqual(0.8);
    // The frame clock runs on (a frame every 20 ms, silence included): the count the connector
    // keeps meets what the bot received once the frame in flight lands.
    await bot.until(() => bot.audio.length === call.connection.stats.framesToBot);
  });

  it('plays bot audio to the caller as PCMU, in order, with consecutive RTP sequence numbers and timestamps', async () => {
    const { call, bot } = await t.connect();
    const text = 'The bot answers the caller now.';
    const speech16k = renderSpeech(text, { rateHz: 16000 });
    const first = call.peer.received.length;
    sendSpeech(bot, speech16k, 16000);
    const speechFrames = Math.ceil(speech16k.length / 320);
    // An idle session sends nothing, so the answer is exactly its own frames.
    await call.peer.waitFor(first + speechFrames);

    const packets = call.peer.received.slice(first).map((r) => r.packet);
    for (let i = 1; i < packets.length; i++) {
      expect((packets[i]!.header.sequenceNumber - packets[i - 1]!.header.sequenceNumber) & 0xffff).toBe(1);
      expect((packets[i]!.header.timestamp - packets[i - 1]!.header.timestamp) >>> 0).toBe(160);
      expect(packets[i]!.header.payloadType).toBe(0);
    }
    const heard = heardFrames(call.peer, first);
    const start = Math.max(0, heard.findIndex(isVoiced) - 5);
    const heardPcm = Int16Array.from(heard.slice(start).flatMap((frame) => [...frame]));
    const speech8k = renderSpeech(text, { rateHz: 8000 });
    expect(bestAlignment(speech8k, heardPcm, 0, 1600).correlation).toBeGreaterThan(0.8);
    // Paced: the whole answer took (about) its own duration in packets, 20 ms of media each.
    const arrivals = call.peer.received.slice(first).map((r) => r.arrivalMs);
    const meanGapMs = (arrivals.at(-1)! - arrivals[0]!) / (arrivals.length - 1);
    expect(meanGapMs).toBeGreaterThan(15);
    expect(meanGapMs).toBeLessThan(25);
    expect(call.connection.stats.framesFromBot).toBe(speechFrames);
  });

  it('returns marks in order, each only once the audio queued before it has been sent', async () => {
    const { call, bot } = await t.connect();
    const first = call.peer.received.length;
    const voicedAtMark = new Map<string, number>();
    bot.socket.on('message', (data, isBinary) => {
      if (isBinary) return;
      const event = JSON.parse(data.toString()) as { event: string; name?: string };
      if (event.event === 'mark') voicedAtMark.set(event.name!, voicedCount(call.peer, first));
    });
    for (const name of ['m1', 'm2', 'm3']) {
      bot.send(pcmBytes(tone(16000, 300)));
      bot.send({ event: 'mark', name });
    }
    await bot.until(() => bot.named('mark').length === 3);
    expect(bot.named('mark').map((e) => e.name)).toEqual(['m1', 'm2', 'm3']);
    // 15 frames per segment; the UDP read of the last packet may be polled just after the mark.
    expect(voicedAtMark.get('m1')).toBeGreaterThanOrEqual(14);
    expect(voicedAtMark.get('m2')).toBeGreaterThanOrEqual(29);
    expect(voicedAtMark.get('m3')).toBeGreaterThanOrEqual(44);
  });

  it('clear empties the playout queue within one frame', async () => {
    const { call, bot } = await t.connect();
    const first = call.peer.received.length;
    const playedAtClear = framesPlayedAtClears(call.session);
    for (let i = 0; i < 3; i++) bot.send(pcmBytes(tone(16000, 1000)));
    await untilRtp(call.peer, () => voicedCount(call.peer, first) >= 10);
    bot.send({ event: 'clear' });
    bot.send({ event: 'mark', name: 'after-clear' });
    await bot.until(() => bot.named('mark').length === 1);
    expect(call.session.queuedMs).toBe(0);
    bot.send(pcmBytes(tone(16000, 100, 440, PROBE_AMPLITUDE)));
    await untilProbeHeard(call.peer, first);
    // The caller heard what had been played when the clear was applied, and at most one frame more.
    expect(playedAtClear).toHaveLength(1);
    expect(loudCount(call.peer, first)).toBeGreaterThanOrEqual(playedAtClear[0]! - 1);
    expect(loudCount(call.peer, first)).toBeLessThanOrEqual(playedAtClear[0]! + 1);
    expect(playedAtClear[0]).toBeLessThan(150);
  });

  // The bot plays a 5 s answer; once the caller has heard 10 frames of it, the caller talks over
  // it. `atBargeIn` runs when barge_in arrives; the result is that event and, once a quiet probe
  // queued after it has been heard, how many ms of the answer reached the caller.
  async function interruptAnswer(call: BotCall, bot: BotPeer, atBargeIn: () => void = () => undefined): Promise<{ playedMs: number; heardMs: number }> {
    const answerFrom = call.peer.received.length;
    for (let i = 0; i < 5; i++) bot.send(pcmBytes(tone(16000, 1000, 300)));
    await untilRtp(call.peer, () => voicedCount(call.peer, answerFrom) >= 10);
    const speech8k = renderSpeech('Stop talking, I want to say something.', { rateHz: 8000 });
    const streaming = call.peer.stream(frames(speech8k, 160).map((f) => alawmulaw.mulaw.encode(f)), call.localPort, { payloadType: 0, ssrc: 0x77, samplesPerFrame: 160 });
    await bot.until(() => bot.named('barge_in').length === 1);
    atBargeIn();
    await streaming;
    bot.send(pcmBytes(tone(16000, 100, 440, PROBE_AMPLITUDE)));
    await untilProbeHeard(call.peer, answerFrom);
    return { playedMs: bot.named('barge_in')[0]!.playedMs as number, heardMs: loudCount(call.peer, answerFrom) * 20 };
  }

  it('tells the bot about speech and barge-in, with how much of its audio was played', async () => {
    const { call, bot } = await t.connect();
    const { playedMs, heardMs } = await interruptAnswer(call, bot, () => {
      expect(bot.named('speech_started').length).toBeGreaterThanOrEqual(1);
      expect(bot.sequence.indexOf('speech_started')).toBeLessThan(bot.sequence.indexOf('barge_in'));
      expect(call.session.queuedMs).toBe(0);
    });
    // The position is what the caller heard: the tone stopped there.
    expect(Math.abs(heardMs - playedMs)).toBeLessThanOrEqual(20);
    await bot.until(() => bot.named('speech_stopped').length >= 1);
  });

  it('barge_in.playedMs counts the interrupted answer only, not the greeting played before it', async () => {
    const { call, bot } = await t.connect();
    // A greeting, played to the end (its mark comes back and the queue runs dry).
    bot.send(pcmBytes(tone(16000, 600, 300)));
    bot.send({ event: 'mark', name: 'greeting' });
    await bot.until(() => bot.named('mark').length === 1);
    await untilRtp(call.peer, () => call.session.queuedMs === 0 && loudCount(call.peer) >= 29);
    const { playedMs, heardMs } = await interruptAnswer(call, bot);
    // What the caller heard of the answer, not the 600 ms greeting before it.
    expect(Math.abs(heardMs - playedMs)).toBeLessThanOrEqual(20);
  });

  it('passes caller DTMF to the bot and sends the bot\'s digits to the caller as RFC 4733 events', async () => {
    const { call, bot } = await t.connect({ session: { telephoneEventPayloadType: 101 } });
    // RFC 4733 section 2.3: event, E bit and volume, duration; the end packet is sent three times.
    const event = (digit: number, end: boolean, duration: number): Uint8Array => Uint8Array.of(digit, (end ? 0x80 : 0) | 10, duration >> 8, duration & 0xff);
    const packets = [event(5, false, 160), event(5, false, 320), event(5, false, 480), event(5, true, 800), event(5, true, 800), event(5, true, 800)];
    packets.forEach((payload, i) => call.peer.send({ payloadType: 101, ssrc: 0x5005, sequenceNumber: 100 + i, timestamp: 8000, marker: i === 0 }, payload, call.localPort));
    await bot.until(() => bot.named('dtmf').length === 1);
    expect(bot.named('dtmf')[0]).toMatchObject({ event: 'dtmf', digit: '5', durationMs: 100 });

    bot.send({ event: 'dtmf', digits: '7' });
    await untilRtp(call.peer, () => call.peer.received.some((r) => r.packet.header.payloadType === 101 && (r.packet.payload[1]! & 0x80) !== 0));
    const sent = call.peer.received.filter((r) => r.packet.header.payloadType === 101).map((r) => r.packet);
    expect(sent.every((packet) => packet.payload[0] === 7)).toBe(true);
    expect(sent[0]!.header.marker).toBe(true);
  });

  it('counts bot digits the caller leg cannot carry (no telephone-event negotiated), and the call goes on', async () => {
    const { call, bot } = await t.connect();
    const refused = registry.getSingleMetric('parley_refused_total') as Counter<string>;
    const before = await counterValue(refused, { surface: 'bot', reason: 'dtmf_not_sent' });
    bot.send({ event: 'dtmf', digits: '12' });
    bot.send({ event: 'dtmf', digits: '3' });
    bot.send({ event: 'mark', name: 'after-digits' });
    await bot.until(() => bot.named('mark').length === 1);
    expect(await counterValue(refused, { surface: 'bot', reason: 'dtmf_not_sent' })).toBe(before + 2);
    expect(call.peer.received.some((r) => r.packet.header.payloadType === 101)).toBe(false);
    expect(call.session.isClosed).toBe(false);
  });

  it('rejects each malformed message with a counted error while the call continues', async () => {
    const { call, bot } = await t.connect();
    const before = {
      bad_json: await counterValue(botMetrics.malformed, { protocol: 'parley', reason: 'bad_json' }),
      unknown_event: await counterValue(botMetrics.malformed, { protocol: 'parley', reason: 'unknown_event' }),
      payload_size: await counterValue(botMetrics.malformed, { protocol: 'parley', reason: 'payload_size' }),
      schema: await counterValue(botMetrics.malformed, { protocol: 'parley', reason: 'schema' }),
    };
    bot.send('{"event": "mark", ');
    bot.send({ event: 'dance' });
    bot.send(Buffer.alloc(3));
    bot.send(Buffer.alloc(FRAME_BYTES_16K + 2));
    bot.send({ event: 'mark' });
    bot.send({ event: 'dtmf', digits: 'not digits' });
    bot.send({ event: 'mark', name: 'still-here' });
    await bot.until(() => bot.named('mark').length === 1);
    expect(bot.named('mark')[0]!.name).toBe('still-here');
    expect(call.connection.stats.malformed).toEqual({ bad_json: 1, unknown_event: 1, payload_size: 2, schema: 2 });
    for (const [reason, count] of Object.entries({ bad_json: 1, unknown_event: 1, payload_size: 2, schema: 2 })) {
      expect(await counterValue(botMetrics.malformed, { protocol: 'parley', reason })).toBe(before[reason as keyof typeof before] + count);
    }
    expect(call.session.isClosed).toBe(false);
    // Audio still flows both ways after the bad messages.
    const first = call.peer.received.length;
    bot.send(pcmBytes(tone(16000, 200)));
    await untilRtp(call.peer, () => voicedCount(call.peer, first) >= 8);
  });
});
