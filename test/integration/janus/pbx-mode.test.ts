// PBX mode's browser path with real parts: a werift "browser" -> the node's signaling -> real
// Janus (SIP plugin, in its own network namespace) -> SIP -> SIPp standing in for Asterisk's bot
// extension, whose RTP echo sends the browser's audio back the same way. The bot would be attached
// by the Asterisk adapter (an ARI double here), never by the signaling socket: no local Call.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../../api/config.js';
import { startNode, type RunningNode } from '../../../api/node.js';
import { AriDouble } from '../../support/ari-double/ari-double.js';
import { startCoturn, type CoturnHandle } from '../../support/coturn.js';
import { HOST_ADDRESS, requireNamespaces, pbxModeConfig, startJanusInNamespace, type JanusInNamespace } from '../../support/janus-netns.js';
import { freeUdpPort, udpPortBound } from '../../support/free-port.js';
import { grant, offerForAnswer, step, type Signal } from '../../support/signal-client.js';
import { bestAlignment, rmsDbfs } from '../../support/signal-metrics.js';
import { renderSpeech } from '../../support/speech.js';
import { WeriftBrowser } from '../../support/werift-browser.js';

const ORIGIN = 'https://shop.example';
const FRAME_SAMPLES = 960; // 20 ms at 48 kHz
// SIPp's SIP port, and an even RTP port (RFC 3550 section 11) whose RTCP port (+1) and the video
// echo port SIPp also binds (+2) stay clear of the SIP port.
async function sippPorts(): Promise<{ sipPort: number; mediaPort: number }> {
  for (;;) {
    const sipPort = await freeUdpPort(HOST_ADDRESS);
    const mediaPort = (await freeUdpPort(HOST_ADDRESS)) & ~1;
    if (sipPort < mediaPort || sipPort > mediaPort + 3) return { sipPort, mediaPort };
  }
}

interface Sipp {
  exited: Promise<{ code: number | null; output: string }>;
  stop(): void;
}

// SIPp as the bot extension for one call: answers the INVITE with Opus and echoes RTP; then
// `uas-echo.xml` waits for the caller's BYE, `uas-hangup.xml` sends its own.
function startSippUas(scenarioFile: string, ports: { sipPort: number; mediaPort: number }, outputDir: string): Sipp {
  const { sipPort, mediaPort } = ports;
  const scenario = fileURLToPath(new URL(`../../fixtures/sipp/${scenarioFile}`, import.meta.url));
  const child = spawn(
    'sipp',
    ['-sf', scenario, '-i', HOST_ADDRESS, '-p', String(sipPort), '-mi', HOST_ADDRESS, '-mp', String(mediaPort), '-rtp_echo', '-m', '1', '-nostdin', '-timeout', '120s', '-timeout_error', '-trace_msg', '-message_file', `${outputDir}/sipp-${scenarioFile}.msg`, '-trace_err', '-error_file', `${outputDir}/sipp-errors.log`],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  child.stderr.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  const exited = new Promise<{ code: number | null; output: string }>((resolve) => child.once('exit', (code) => resolve({ code, output })));
  return { exited, stop: () => void (child.exitCode === null && child.signalCode === null && child.kill('SIGTERM')) };
}

// RMS per 20 ms frame: the speech's envelope, which survives Opus and any packet loss alignment.
function envelope(frames: Int16Array[]): number[] {
  return frames.map((frame) => Math.sqrt(frame.reduce((sum, x) => sum + x * x, 0) / Math.max(1, frame.length)));
}

function concat(frames: Int16Array[]): Int16Array {
  const out = new Int16Array(frames.length * FRAME_SAMPLES);
  frames.forEach((frame, i) => out.set(frame.subarray(0, FRAME_SAMPLES), i * FRAME_SAMPLES));
  return out;
}

describe('PBX mode through a real Janus to the bot extension', () => {
  const outputDir = 'test-output/janus-pbx';
  let janus: JanusInNamespace | undefined;
  let coturn: CoturnHandle | undefined;
  let ari: AriDouble | undefined;
  let node: RunningNode | undefined;
  let sipp: Sipp | undefined;
  let ports: { sipPort: number; mediaPort: number };
  const speech = renderSpeech('Hello bot, can you hear me through Janus and the PBX?', { rateHz: 48000 });

  beforeAll(async () => {
    requireNamespaces('The real-Janus PBX-mode test');
    mkdirSync(outputDir, { recursive: true });
    janus = await startJanusInNamespace(outputDir);
    coturn = await startCoturn('coturn-janus-secret', '../fixtures/janus/turnserver.conf');
    ari = await AriDouble.start();
    ports = await sippPorts();
    const config = configSchema.parse({
      operator: { port: 0 },
      ...pbxModeConfig(janus, `sip:7000@${HOST_ADDRESS}:${ports.sipPort}`),
      logLevel: 'silent',
      api: { host: '127.0.0.1', port: 0, allowedOrigins: [ORIGIN], maxCallSeconds: 120 },
      limits: { perIpActive: 2, perIpPerHour: 50 },
      asterisk: { url: ari.url, username: 'parley', password: 'secret' },
      turn: { stunUrls: [`stun:127.0.0.1:${coturn.port}`], turnUrls: [`turn:127.0.0.1:${coturn.port}?transport=udp`], secret: coturn.secret },
    });
    // The node's log sits next to Janus's and SIPp's, for a failure in CI.
    node = await startNode(config, pino({ level: process.env.JANUS_TEST_LOG ?? 'debug' }, pino.destination({ dest: `${outputDir}/node.log`, sync: true })));
  });

  // A SIPp left waiting by a failed attempt would hold the ports its retry binds.
  afterEach(async () => {
    sipp?.stop();
    await sipp?.exited;
    sipp = undefined;
  });

  afterAll(async () => {
    await node?.shutdown(0);
    await ari?.close();
    await coturn?.stop();
    await janus?.stop();
  });

  // A werift browser calls through the node's signaling; resolves once it has Janus's answer.
  // Janus answers an INVITE to a port nothing listens on with 503 at once, so SIPp must be bound first.
  const call = async (): Promise<{ browser: WeriftBrowser; signal: Signal; answerSdp: string }> => {
    await expect.poll(() => udpPortBound(ports.sipPort), { timeout: 10_000, interval: 50, message: `SIPp bound to ${HOST_ADDRESS}:${ports.sipPort}` }).toBe(true);
    const { token, iceServers } = await grant(node!, ORIGIN);
    const browser = new WeriftBrowser(iceServers.filter((server) => !server.username));
    try {
      const offer = await step('ICE gathering', browser.offer());
      const { signal, answer } = await offerForAnswer(node!, ORIGIN, token, offer, 'the answer through Janus from SIPp');
      await browser.answer(answer.sdp as string);
      return { browser, signal, answerSdp: answer.sdp as string };
    } catch (error) {
      await browser.close();
      throw error;
    }
  };

  it('answers through Janus, echoes the browser audio back from the SIP side, and hangup sends BYE', async () => {
    sipp = startSippUas('uas-echo.xml', ports, outputDir);
    const { browser, signal, answerSdp } = await call();
    try {
      expect(answerSdp).toMatch(/a=rtpmap:111 opus\/48000/i);
      // The media is Asterisk's: the signaling socket made no Call on this node.
      expect(node!.calls.size).toBe(0);

      // DTLS must be up first, or werift drops the first packets it is given.
      await expect.poll(() => browser.pc.connectionState, { timeout: 20_000, interval: 100 }).toBe('connected');
      await browser.send(speech);
      const sentFrames = Array.from({ length: Math.floor(speech.length / FRAME_SAMPLES) }, (_, i) => speech.subarray(i * FRAME_SAMPLES, (i + 1) * FRAME_SAMPLES));
      const loudSent = sentFrames.filter((frame) => rmsDbfs(frame) > -45).length;
      // Most of the speech came back: the echo crossed Janus -> SIP -> SIPp -> Janus -> browser.
      await expect.poll(() => browser.loudFrames(-45), { timeout: 20_000, interval: 200 }).toBeGreaterThan(loudSent * 0.8);

      // What came back is the speech: its envelope matches frame by frame at one delay, and the
      // samples there (Opus relayed untouched, decoded once) correlate closely.
      const received = browser.received.slice();
      const envelopeMatch = bestAlignment(envelope(sentFrames), envelope(received), -10, Math.max(10, received.length - sentFrames.length));
      expect(envelopeMatch.correlation).toBeGreaterThan(0.9);
      const lagSamples = envelopeMatch.lag * FRAME_SAMPLES;
      const sampleMatch = bestAlignment(speech, concat(received), lagSamples - FRAME_SAMPLES, lagSamples + FRAME_SAMPLES);
      expect(sampleMatch.correlation).toBeGreaterThan(0.8);
      expect(node!.calls.size).toBe(0);

      // The browser hangs up: Janus sends BYE to the bot extension, SIPp answers it and exits 0.
      signal.socket.send(JSON.stringify({ type: 'hangup' }));
      await step('the ended message', signal.next('ended'));
      const result = await step('SIPp seeing the BYE', sipp!.exited);
      expect(result.code, result.output).toBe(0);
    } finally {
      signal.socket.terminate();
      await browser.close();
    }
  });

  it('tells the browser when the bot extension hangs up (SIP BYE from the PBX side)', async () => {
    sipp = startSippUas('uas-hangup.xml', ports, outputDir);
    const { browser, signal } = await call();
    try {
      // SIPp sends BYE two seconds after answering; Janus reports the hangup, the node relays it.
      const ended = await step('the ended message after the PBX hung up', signal.next('ended'));
      expect(ended.reason).toMatch(/^janus_/);
      const result = await step('SIPp seeing its BYE confirmed', sipp!.exited);
      expect(result.code, result.output).toBe(0);
      expect(node!.calls.size).toBe(0);
    } finally {
      signal.socket.terminate();
      await browser.close();
    }
  });
});
