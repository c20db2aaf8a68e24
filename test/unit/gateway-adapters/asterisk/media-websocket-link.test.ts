import { describe, expect, it } from 'vitest';
import { MediaWebSocketError } from '../../../../gateway-adapters/asterisk/errors.js';
import { mediaStartOf, parseControl } from '../../../../gateway-adapters/asterisk/media-websocket-link.js';

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
});
