// A SIP call's media stats survive however it ends: the caller's BYE, the bot's hangup, the
// caller's CANCEL. Each end gives one `call ended` line carrying `media`, and /metrics counts the
// same packets. Real UDP: the test's SIP client and RTP peer on 127.0.0.1.
import alawmulaw from 'alawmulaw';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BotStarter } from '../../../engine/call/call.js';
import type { CallMedia } from '../../../engine/call/call-media.js';
import { CallRegistry } from '../../../engine/call/call-registry.js';
import { CallService } from '../../../engine/call/call-service.js';
import type { NativeSessionStats } from '../../../engine/media/media-engine-binding.js';
import { MediaEngine } from '../../../engine/media/media-engine.js';
import { registry } from '../../../engine/metrics.js';
import { SipEndpoint } from '../../../gateway-adapters/sip/sip-endpoint.js';
import { RtpPeer } from '../../support/rtp-peer.js';
import { offerSdp, SipTestClient, toTagOf, type Dialog } from '../../support/sip-client.js';

interface EndLine {
  msg: string;
  reason: string;
  callId: string;
  media?: NativeSessionStats;
}

const lines: EndLine[] = [];
const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as EndLine) });

async function packetsIn(): Promise<number> {
  return (await registry.getSingleMetric('parley_media_packets_total')!.get()).values.find((v) => v.labels.direction === 'in')?.value ?? 0;
}

async function endLine(reason: string): Promise<EndLine> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const line = lines.find((entry) => entry.msg === 'call ended' && entry.reason === reason);
    if (line) return line;
    if (Date.now() > deadline) throw new Error(`no 'call ended' line with reason ${reason}; lines: ${lines.map((entry) => entry.msg).join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 10)); // the line is written by the call's end, which nothing announces
  }
}

describe('a SIP call\'s media stats at its end', () => {
  let engine: MediaEngine;
  let calls: CallRegistry;
  let endpoint: SipEndpoint;
  let client: SipTestClient;
  let peer: RtpPeer;
  let bot: CallMedia | undefined;
  const quietBot: BotStarter = (media) => {
    bot = media;
    return { stop: () => undefined };
  };

  const start = async (ringMs = 0): Promise<void> => {
    endpoint = await SipEndpoint.start({ port: 0, ringMs }, { calls: new CallService({ engine, calls, startBot: quietBot, maxCallMs: 60_000, logger }), logger, media: { host: '127.0.0.1', session: { bargeIn: false } } });
    client = await SipTestClient.open(endpoint.local);
    peer = await RtpPeer.open();
  };

  // INVITE, 200, ACK, then 50 PCMU packets from the caller, all received by Parley.
  const talk = async (): Promise<Dialog> => {
    const dialog = client.newDialog();
    client.invite(dialog, offerSdp({ port: peer.port }));
    const ok = await client.waitForResponse(dialog.callId, 'INVITE', 200);
    dialog.toTag = toTagOf(ok);
    client.ack(dialog, true);
    await expect.poll(() => bot).toBeDefined();
    const payload = alawmulaw.mulaw.encode(new Int16Array(160));
    await peer.stream(Array.from({ length: 50 }, () => payload), Number(/^m=audio (\d+) /m.exec(ok.body)![1]), { payloadType: 0, ssrc: 0x77, samplesPerFrame: 160 });
    await peer.waitFor(10);
    return dialog;
  };

  const expectStats = async (line: EndLine, before: number, minimumIn: number): Promise<void> => {
    expect(line.media).toBeDefined();
    expect(line.media!.packetsReceived).toBeGreaterThanOrEqual(minimumIn);
    expect(await packetsIn()).toBe(before + line.media!.packetsReceived!);
  };

  beforeAll(() => {
    engine = new MediaEngine({ logger });
    calls = new CallRegistry();
  });
  afterEach(async () => {
    client.close();
    peer.close();
    await endpoint.close();
    bot = undefined;
    lines.length = 0;
  });
  afterAll(() => engine.stop());

  it('the caller\'s BYE', async () => {
    await start();
    const before = await packetsIn();
    const dialog = await talk();
    client.sendRaw(client.request('BYE', dialog, 2));
    await client.waitForResponse(dialog.callId, 'BYE', 200);
    await expectStats(await endLine('remote_hangup'), before, 45);
  });

  it('the bot\'s hangup', async () => {
    await start();
    const before = await packetsIn();
    const dialog = await talk();
    bot!.hangup('bot_hangup');
    const bye = await client.waitForRequest(dialog.callId, 'BYE');
    client.answer(bye);
    await expectStats(await endLine('bot_hangup'), before, 45);
  });

  it('the caller\'s CANCEL while ringing', async () => {
    await start(30_000);
    const before = await packetsIn();
    const dialog = client.newDialog();
    client.invite(dialog, offerSdp({ port: peer.port }));
    await client.waitForResponse(dialog.callId, 'INVITE', 180);
    client.sendRaw(client.request('CANCEL', dialog, 1));
    await client.waitForResponse(dialog.callId, 'INVITE', 487);
    // No audio flows before the answer, but the call's media is still accounted for.
    await expectStats(await endLine('caller_cancel'), before, 0);
  });
});
