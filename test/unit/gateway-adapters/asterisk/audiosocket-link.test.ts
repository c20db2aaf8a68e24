// What the AudioSocket link writes to Asterisk at each 20 ms pump: the bot's paced audio, or 20 ms
// of silence when there is none (a chan_audiosocket read waiting for a message holds the channel
// until one comes: audiosocket-link.ts), and nothing once it is closing.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { MediaSession } from '../../../../engine/media/media-session.js';
import type { AudioSocketConnection } from '../../../../gateway-adapters/asterisk/audiosocket-connection.js';
import { AudioSocketDecoder, AudioSocketKind, HANGUP_FRAME, SLIN8_FRAME_BYTES, type AudioSocketFrame } from '../../../../gateway-adapters/asterisk/audiosocket-frame.js';
import { AudioSocketLink } from '../../../../gateway-adapters/asterisk/audiosocket-link.js';
import { sine } from '../../../support/test-signals.js';

// A link whose native leg pacing hands out `paced` one entry per pump (none left: nothing paced),
// and whose connection records every write.
function linkWith(paced: Int16Array[]): { link: AudioSocketLink; writes: Buffer[] } {
  const writes: Buffer[] = [];
  const connection = {
    attach: () => undefined,
    write: (bytes: Uint8Array) => writes.push(Buffer.from(bytes)),
    socket: { end: (done: () => void) => done() },
    close: () => undefined,
  } as unknown as AudioSocketConnection;
  const session = { takeOutboundPcm: () => paced.shift() ?? new Int16Array(0), pushCallerPcm: () => undefined } as unknown as MediaSession;
  return { link: new AudioSocketLink(connection, session, pino({ level: 'silent' }), () => undefined), writes };
}

function audioOf(write: Buffer): Int16Array[] {
  return new AudioSocketDecoder().push(write).map((frame: AudioSocketFrame) => {
    expect(frame.kind).toBe(AudioSocketKind.audio);
    // A copy: the frame is a view into the write's (pooled) buffer.
    return new Int16Array(new Uint8Array((frame as { pcm: Uint8Array }).pcm).buffer);
  });
}

describe('AudioSocket link pump', () => {
  it('sends one 20 ms slin frame of silence at each pump while the bot says nothing', () => {
    const { link, writes } = linkWith([]);
    for (let i = 0; i < 3; i++) link.pump();
    expect(writes).toHaveLength(3);
    for (const write of writes) {
      const [frame, ...more] = audioOf(write);
      expect(more).toEqual([]);
      expect(frame!.length * 2).toBe(SLIN8_FRAME_BYTES);
      expect(frame!.every((sample) => sample === 0)).toBe(true);
    }
  });

  it('sends the bot audio the leg paced as it is, with no silence added, and silence again after it', () => {
    const tone = sine(320, 8000, 440, 8000);
    const { link, writes } = linkWith([tone]);
    link.pump();
    link.pump();
    expect(writes).toHaveLength(2);
    const spoken = audioOf(writes[0]!);
    expect(spoken.map((frame) => frame.length)).toEqual([160, 160]);
    expect([...spoken[0]!, ...spoken[1]!]).toEqual([...tone]);
    expect(audioOf(writes[1]!)[0]!.every((sample) => sample === 0)).toBe(true);
  });

  it('sends nothing more once closing but the hangup', () => {
    const { link, writes } = linkWith([]);
    link.close();
    link.pump();
    expect(writes).toEqual([HANGUP_FRAME]);
  });
});
