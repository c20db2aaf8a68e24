import { once } from 'node:events';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { MediaEngine } from '../../../../engine/media/media-engine.js';
import { MediaWebSocketError } from '../../../../gateway-adapters/asterisk/errors.js';
import { MediaWebSocketLink, mediaStartOf, parseControl } from '../../../../gateway-adapters/asterisk/media-websocket-link.js';

// A client-mode link over a real WebSocket on 127.0.0.1; Asterisk's side sends `mediaStart`.
async function linkStartedWith(mediaStart: string, expectChannelId: string): Promise<{ link: MediaWebSocketLink; broken: string[]; close: () => void }> {
  const engine = new MediaEngine();
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(server, 'listening');
  const asterisk = new WebSocket(`ws://127.0.0.1:${(server.address() as { port: number }).port}`);
  const [parley] = (await once(server, 'connection')) as [WebSocket];
  const broken: string[] = [];
  const session = engine.createPcmSession('call-1', { legRateHz: 16000 });
  const link = new MediaWebSocketLink(parley, session, pino({ level: 'silent' }), (reason) => broken.push(reason), expectChannelId);
  await once(asterisk, 'open');
  asterisk.send(mediaStart);
  await new Promise<void>((resolve) => parley.once('message', () => setImmediate(resolve)));
  return { link, broken, close: () => (asterisk.terminate(), server.close(), engine.stop()) };
}

describe('chan_websocket control messages', () => {
  it('reads the plain-text MEDIA_START', () => {
    const control = parseControl('MEDIA_START connection_id:abc channel:WebSocket/abc/0x1 format:slin16 optimal_frame_size:640 ptime:20');
    expect(control.event).toBe('MEDIA_START');
    expect(mediaStartOf(control)).toEqual({ connectionId: 'abc', channel: 'WebSocket/abc/0x1', format: 'slin16', optimalFrameSize: 640, json: false });
  });

  it('reads the JSON MEDIA_START (chan_websocket.conf control_message_format = json)', () => {
    const control = parseControl(
      JSON.stringify({ event: 'MEDIA_START', connection_id: 'abc', channel: 'WebSocket/abc/0x1', channel_id: '1.2', format: 'slin16', optimal_frame_size: 640, ptime: 20, channel_variables: {} }),
    );
    expect(control.event).toBe('MEDIA_START');
    expect(mediaStartOf(control)).toMatchObject({ optimalFrameSize: 640, json: true });
  });

  it('reads bare notifications', () => {
    expect(parseControl('MEDIA_XOFF')).toEqual({ event: 'MEDIA_XOFF', fields: {}, json: false });
  });

  it('rejects a MEDIA_START without its fields, and JSON without an event', () => {
    expect(() => mediaStartOf(parseControl('MEDIA_START connection_id:abc'))).toThrow(MediaWebSocketError);
    expect(() => parseControl('{"connection_id":"abc"}')).toThrow(MediaWebSocketError);
  });

  it('ends a client-mode link whose MEDIA_START carries another call\'s channel_id, and starts one that carries its own', async () => {
    const start = (channelId: string): string => `MEDIA_START connection_id:parley-media channel:WebSocket/parley-media/0x1 channel_id:${channelId} format:slin16 optimal_frame_size:640 ptime:20`;
    const other = await linkStartedWith(start('parley-b-media'), 'parley-a-media');
    expect(other.broken).toEqual(['media_websocket_mismatch']);
    expect(other.link.mediaStart).toBeUndefined();
    other.close();
    const own = await linkStartedWith(start('parley-a-media'), 'parley-a-media');
    expect(own.broken).toEqual([]);
    expect(own.link.mediaStart?.channelId).toBe('parley-a-media');
    own.close();
  });
});
