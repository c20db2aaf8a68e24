import { describe, expect, it } from 'vitest';
import { ParleyProtocol } from '../../../engine/bot/parley-protocol/parley-protocol.js';
import { reasonOf } from '../../support/malformed-reason.js';
import { NullMedia } from '../../support/null-media.js';

const info = { callId: 'call-u', source: 'webrtc' as const };

describe('ParleyProtocol', () => {
  it('sends caller frames as their own PCM16LE bytes, without a copy, and stamps events with the caller media time', () => {
    const protocol = new ParleyProtocol(new NullMedia('call-u', 24000), info);
    const frame = Int16Array.from({ length: 480 }, (_, i) => (i * 97) % 30000 - 15000);
    const message = protocol.callerAudio(frame) as Buffer;
    expect(message.length).toBe(960);
    for (let i = 0; i < frame.length; i++) expect(message.readInt16LE(2 * i)).toBe(frame[i]);
    // A view: ws copies it as it masks (test/integration/bot/bot-frame-bytes.test.ts).
    expect(message.buffer).toBe(frame.buffer);
    protocol.callerAudio(frame);
    expect(JSON.parse(protocol.callEvent({ type: 'barge_in', playedMs: 860 }) as string)).toEqual({ event: 'barge_in', playedMs: 860, atMs: 40 });
    expect(JSON.parse(protocol.opening(true)[0] as string)).toMatchObject({ event: 'start', version: 1, resumed: true, media: { sampleRateHz: 24000, frameMs: 20 } });
  });

  it('views a caller frame handed again (the engine reuses its view) with the same Buffer, showing its new samples', () => {
    const protocol = new ParleyProtocol(new NullMedia('call-u', 16000), info);
    const shared = new Int16Array(640);
    const view = shared.subarray(320);
    view.fill(1234);
    const first = protocol.callerAudio(view);
    view.fill(-4321);
    const again = protocol.callerAudio(view);
    expect(again).toBe(first);
    expect(again.readInt16LE(0)).toBe(-4321);
    expect(again.byteOffset).toBe(640);
    const other = shared.subarray(0, 320);
    other.fill(77);
    const moved = protocol.callerAudio(other);
    expect(moved).not.toBe(first);
    expect([moved.byteOffset, moved.length, moved.readInt16LE(638)]).toEqual([0, 640, 77]);
  });

  it('decodes bot audio of whole frames at any byte alignment, and commands', () => {
    const protocol = new ParleyProtocol(new NullMedia(), info);
    const backing = Buffer.alloc(641 * 2);
    const unaligned = backing.subarray(1, 1 + 640 * 2);
    unaligned.writeInt16LE(-321, 0);
    const audio = protocol.decode(unaligned, true);
    expect(audio).toMatchObject({ type: 'audio' });
    expect(audio.type === 'audio' && audio.pcm.length === 640 && audio.pcm[0] === -321).toBe(true);
    expect(protocol.decode(Buffer.from('{"event":"dtmf","digits":"12#a"}'), false)).toEqual({ type: 'dtmf', digits: '12#A' });
    expect(protocol.decode(Buffer.from('{"event":"hangup"}'), false)).toEqual({ type: 'hangup' });
    // The bot's own reason is carried for the log only; the call ends as bot_hangup (a closed set).
    expect(protocol.decode(Buffer.from('{"event":"hangup","reason":"<script>x"}'), false)).toEqual({ type: 'hangup', botReason: '<script>x' });
    expect(protocol.decode(Buffer.from('{"event":"clear","extra":true}'), false)).toEqual({ type: 'clear' });
  });

  it('rejects malformed messages with a reason for each kind', () => {
    const protocol = new ParleyProtocol(new NullMedia(), info);
    expect(reasonOf(() => protocol.decode(Buffer.from('{'), false))).toBe('bad_json');
    expect(reasonOf(() => protocol.decode(Buffer.from('[1,2]'), false))).toBe('unknown_event');
    expect(reasonOf(() => protocol.decode(Buffer.from('{"event":"toString"}'), false))).toBe('unknown_event');
    expect(reasonOf(() => protocol.decode(Buffer.from('{"event":"mark","name":""}'), false))).toBe('schema');
    expect(reasonOf(() => protocol.decode(Buffer.alloc(0), true))).toBe('payload_size');
    expect(reasonOf(() => protocol.decode(Buffer.alloc(639), true))).toBe('payload_size');
    expect(reasonOf(() => protocol.decode(Buffer.alloc(640 * 51), true))).toBe('payload_size');
  });
});
