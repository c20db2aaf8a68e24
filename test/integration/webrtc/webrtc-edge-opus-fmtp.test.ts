// The embedded WebRTC edge's answer asks the browser for no wider an Opus band than the node codes
// at (RFC 7587 sections 6.1 and 7.1), with a real werift peer connection and media engine. The
// offer is a browser's (Chromium's shape); only the answer is looked at, so no media flows.
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { MediaEngine } from '../../../engine/media/media-engine.js';
import { WebRtcEdge, type WebRtcCall } from '../../../gateway-adapters/webrtc/webrtc-edge.js';

const logger = pino({ level: 'silent' });

const chromiumOffer = [
  'v=0',
  'o=- 4611731400430051336 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0',
  'a=msid-semantic: WMS',
  'm=audio 9 UDP/TLS/RTP/SAVPF 109 0 101',
  'c=IN IP4 0.0.0.0',
  'a=rtcp:9 IN IP4 0.0.0.0',
  'a=candidate:1 1 udp 2122260223 127.0.0.1 9 typ host',
  'a=ice-ufrag:abcd',
  'a=ice-pwd:abcdefghijklmnopqrstuvwx',
  'a=ice-options:trickle',
  'a=fingerprint:sha-256 AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99',
  'a=setup:actpass',
  'a=mid:0',
  'a=sendrecv',
  'a=rtcp-mux',
  'a=rtpmap:109 opus/48000/2',
  'a=rtcp-fb:109 transport-cc',
  'a=fmtp:109 minptime=10;useinbandfec=1',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=ssrc:1001 cname:browser',
  '',
].join('\r\n');

describe('embedded WebRTC edge: the Opus fmtp of its answer', () => {
  let engine: MediaEngine | undefined;
  let call: WebRtcCall | undefined;
  afterEach(async () => {
    await call?.close('test over');
    engine?.stop();
    call = engine = undefined;
  });

  async function answerFor(session?: { botRateHz: 16000 | 24000 | 48000 }): Promise<string> {
    engine = new MediaEngine({ logger });
    const edge = new WebRtcEdge(engine, { iceServers: [], additionalHostAddresses: ['127.0.0.1'], session });
    call = await edge.accept('fmtp-call', chromiumOffer, logger);
    return call.answerSdp;
  }

  const opusFmtp = (sdp: string): string[] => /^a=fmtp:109 (\S+)\r?$/m.exec(sdp)![1]!.split(';');

  it('asks for 16 kHz audio at the default bot rate, on the offerer\'s payload type and opus/48000/2', async () => {
    const answer = await answerFor();
    expect(answer).toMatch(/^a=rtpmap:109 opus\/48000\/2\r?$/m);
    expect(opusFmtp(answer)).toEqual(['minptime=10', 'useinbandfec=1', 'maxplaybackrate=16000', 'sprop-maxcapturerate=16000']);
  });

  it('follows the configured bot rate, and asks nothing at 48 kHz', async () => {
    expect(opusFmtp(await answerFor({ botRateHz: 24000 }))).toContain('maxplaybackrate=24000');
    await call!.close('next');
    engine!.stop();
    expect(opusFmtp(await answerFor({ botRateHz: 48000 }))).toEqual(['minptime=10', 'useinbandfec=1']);
  });
});
