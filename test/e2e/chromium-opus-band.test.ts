// What a real browser sends under the node's Opus answer: Chromium (fake microphone with speech)
// calls the embedded WebRTC edge, and the edge's answer asks for no more than the bot's 16 kHz
// (maxplaybackrate, RFC 7587 section 7.1). Chromium's encoder then codes SILK-only wideband
// instead of hybrid fullband, which costs the node half as much to decode (docs/benchmarks.md).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MediaEngine } from '../../engine/media/media-engine.js';
import { WebRtcEdge, type WebRtcCall } from '../../gateway-adapters/webrtc/webrtc-edge.js';
import { writeCallerAudio } from '../support/caller-audio.js';
import { launchChromium } from '../support/chromium.js';
import { tocCensus } from '../support/opus-toc.js';

const logger = pino({ level: 'silent' });
const PACKETS = 150;

describe('Chromium under the node\'s Opus answer', () => {
  let browser: BrowserContext;
  let server: Server;
  let engine: MediaEngine;
  let call: WebRtcCall | undefined;

  beforeAll(async () => {
    const caller = writeCallerAudio('Hello, I would like to book a table for two people tonight, please.', 200, 200);
    browser = await launchChromium(caller.file);
    // getUserMedia needs a secure context: http://127.0.0.1 is one.
    server = createServer((_req, res) => res.end('<!doctype html><title>opus band</title>'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    engine = new MediaEngine({ logger });
  });

  afterAll(async () => {
    await call?.close('test over');
    engine?.stop();
    await browser?.close();
    server?.close();
  });

  it('sends SILK-only wideband 20 ms packets, not hybrid fullband', async () => {
    const edge = new WebRtcEdge(engine, { iceServers: [], additionalHostAddresses: ['127.0.0.1'] });
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    const offer = await page.evaluate(async () => {
      const pc = new RTCPeerConnection();
      (window as unknown as { pc: RTCPeerConnection }).pc = pc;
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      for (const track of stream.getTracks()) pc.addTrack(track, stream);
      await pc.setLocalDescription(await pc.createOffer());
      await new Promise<void>((resolve) => {
        if (pc.iceGatheringState === 'complete') resolve();
        pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve());
      });
      return pc.localDescription!.sdp;
    });
    call = await edge.accept('chromium-band', offer, logger);
    const payloads: Uint8Array[] = [];
    const transceiver = call.peer.getTransceivers().find((t) => t.kind === 'audio')!;
    // The edge's own onTrack listener ran in accept(); its track is there already.
    for (const track of transceiver.receiver.tracks) track.onReceiveRtp.subscribe((rtp) => rtp.payload.length > 1 && payloads.push(new Uint8Array(rtp.payload)));
    await page.evaluate(async (sdp) => (window as unknown as { pc: RTCPeerConnection }).pc.setRemoteDescription({ type: 'answer', sdp }), call.answerSdp);
    await vi.waitFor(() => expect(payloads.length).toBeGreaterThanOrEqual(PACKETS), { timeout: 20_000, interval: 50 });
    const census = tocCensus(payloads.slice(0, PACKETS));
    expect(Object.fromEntries(census)).toEqual({ 'silk WB 20 ms': PACKETS });
  }, 60_000);
});
