import alawmulaw from 'alawmulaw';
import { describe, expect, it } from 'vitest';
import { TwilioProtocol } from '../../../engine/bot/twilio-media-streams/twilio-protocol.js';
import { tone } from '../../support/bot-call.js';
import { frames } from '../../support/frames.js';
import { reasonOf } from '../../support/malformed-reason.js';
import { NullMedia } from '../../support/null-media.js';
import { bestAlignment } from '../../support/signal-metrics.js';

const info = { callId: 'call-t', source: 'asterisk' as const };

function payloadOf(message: string): Uint8Array {
  return Buffer.from((JSON.parse(message) as { media: { payload: string } }).media.payload, 'base64');
}

function media(codes: Uint8Array): Buffer {
  return Buffer.from(JSON.stringify({ event: 'media', streamSid: 'MZ1', media: { payload: Buffer.from(codes).toString('base64') } }));
}

describe('TwilioProtocol', () => {
  it('at an 8 kHz call, caller frames are G.711 µ-law byte for byte', () => {
    const protocol = new TwilioProtocol(new NullMedia('call-t', 8000), info);
    const frame = tone(8000, 20, 1000, 12000);
    expect(Buffer.from(payloadOf(protocol.callerAudio(frame, 0).toString('latin1')))).toEqual(Buffer.from(alawmulaw.mulaw.encode(frame)));
  });

  it('at 16 kHz, transcodes caller audio to µ-law 8 kHz and bot µ-law back to 16 kHz, keeping the signal', () => {
    const protocol = new TwilioProtocol(new NullMedia('call-t', 16000), info);
    const sent = frames(tone(16000, 1000, 440), 320).map((frame, i) => payloadOf(protocol.callerAudio(frame, i).toString('latin1')));
    const narrow = alawmulaw.mulaw.decode(Buffer.concat(sent));
    expect(Math.abs(narrow.length - 8000)).toBeLessThanOrEqual(40);
    expect(bestAlignment(tone(8000, 900, 440), narrow, 0, 200).correlation).toBeGreaterThan(0.99);

    const wide: number[] = [];
    for (const frame of frames(tone(8000, 1000, 440), 160)) {
      const command = protocol.decode(media(alawmulaw.mulaw.encode(frame)), false);
      if (command.type === 'audio') wide.push(...command.pcm);
    }
    expect(Math.abs(wide.length - 16000)).toBeLessThanOrEqual(80);
    expect(bestAlignment(tone(16000, 900, 440), wide, 0, 400).correlation).toBeGreaterThan(0.99);
  });

  it('writes a media message as the JSON text of its fields, in Twilio\'s key order', () => {
    const protocol = new TwilioProtocol(new NullMedia(), info);
    protocol.opening();
    for (const frameIndex of [3, 4, 9]) {
      const text = protocol.callerAudio(tone(16000, 20, 440, 9000), frameIndex).toString('latin1');
      const parsed = JSON.parse(text) as Record<string, unknown>;
      expect(Object.keys(parsed)).toEqual(['event', 'sequenceNumber', 'media', 'streamSid']);
      expect(Object.keys(parsed.media as object)).toEqual(['track', 'chunk', 'timestamp', 'payload']);
      expect(text).toBe(JSON.stringify(parsed));
    }
  });

  it('writes every media message into the same bytes, each frame whole over the last (the connection sends it at once)', () => {
    const protocol = new TwilioProtocol(new NullMedia('call-t', 8000), info);
    protocol.opening();
    const first = protocol.callerAudio(tone(8000, 20, 440, 9000), 0);
    const firstText = first.toString('latin1');
    const second = protocol.callerAudio(tone(8000, 20, 1000, 3000), 1);
    expect([Buffer.isBuffer(first), Buffer.isBuffer(second)]).toEqual([true, true]);
    expect(second.buffer).toBe(first.buffer);
    expect(second.byteOffset).toBe(first.byteOffset);
    expect(Buffer.from(payloadOf(second.toString('latin1')))).toEqual(Buffer.from(alawmulaw.mulaw.encode(tone(8000, 20, 1000, 3000))));
    expect(JSON.parse(second.toString('latin1'))).toMatchObject({ sequenceNumber: '3', media: { chunk: '2', timestamp: '20' } });
    expect(JSON.parse(firstText)).toMatchObject({ sequenceNumber: '2', media: { chunk: '1', timestamp: '0' } });
  });

  it('numbers its messages as Twilio does: start is 1, then one more per message', () => {
    const protocol = new TwilioProtocol(new NullMedia(), info);
    const [connected, start] = protocol.opening().map((m) => JSON.parse(m as string) as Record<string, unknown>);
    expect(connected).toEqual({ event: 'connected', protocol: 'Call', version: '1.0.0' });
    expect(start!.sequenceNumber).toBe('1');
    protocol.callerAudio(tone(16000, 20), 0);
    expect(JSON.parse(protocol.callEvent({ type: 'dtmf', digit: '7', durationMs: 100 }) as string)).toMatchObject({ event: 'dtmf', sequenceNumber: '3', dtmf: { track: 'inbound_track', digit: '7' } });
    expect(protocol.callEvent({ type: 'barge_in', playedMs: 10 })).toBeUndefined();
    // Turn latency is Parley's own: Twilio's wire carries nothing for it.
    expect(protocol.callEvent({ type: 'turn', kind: 'response', latencyMs: 640 })).toBeUndefined();
  });

  it('stamps media with stream time: a frame that never reached the bot is a gap in timestamp, not in chunk', () => {
    const protocol = new TwilioProtocol(new NullMedia(), info);
    protocol.opening();
    const mediaOf = (frameIndex: number): { sequenceNumber: string; media: { chunk: string; timestamp: string } } =>
      JSON.parse(protocol.callerAudio(tone(16000, 20), frameIndex).toString('latin1')) as { sequenceNumber: string; media: { chunk: string; timestamp: string } };
    // The stream starts at call frame 7 (frames before it went by while the bot connected).
    const sent = [7, 8, 9, 12, 13].map(mediaOf);
    expect(sent.map((m) => m.media.timestamp)).toEqual(['0', '20', '40', '100', '120']);
    expect(sent.map((m) => m.media.chunk)).toEqual(['1', '2', '3', '4', '5']);
    expect(sent.map((m) => m.sequenceNumber)).toEqual(['2', '3', '4', '5', '6']);
    // A new stream (a reconnect) starts its own clock at 0.
    protocol.opening();
    expect(mediaOf(40).media).toMatchObject({ chunk: '1', timestamp: '0' });
  });

  it('rejects malformed messages with a reason for each kind', () => {
    const protocol = new TwilioProtocol(new NullMedia(), info);
    const reason = (data: string | Buffer, binary = false): string | undefined => reasonOf(() => protocol.decode(Buffer.from(data), binary));
    expect(reason(Buffer.alloc(160), true)).toBe('unexpected_binary');
    expect(reason('nope')).toBe('bad_json');
    expect(reason('{"event":"start","streamSid":"MZ1"}')).toBe('unknown_event');
    expect(reason('{"event":"media","streamSid":"MZ1","media":{"payload":"AAA"}}')).toBe('bad_base64');
    expect(reason('{"event":"media","streamSid":"MZ1","media":{"payload":"////\\n"}}')).toBe('bad_base64');
    expect(reason('{"event":"media","streamSid":"MZ1","media":{"payload":""}}')).toBe('payload_size');
    expect(reason('{"event":"clear"}')).toBe('schema');
  });
});
