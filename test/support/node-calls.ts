// Calls into a real node process (NodeProcess) and what their bots heard: a pbx node on the ARI
// double with WebSocket bots, a werift browser call through grant and signaling, the bots of one
// source, and the loud 20 ms frames a bot received.
import { AriDouble } from './ari-double/ari-double.js';
import { BotServer, type BotPeer } from './bot-server.js';
import { freeUdpPort } from './free-port.js';
import { NodeProcess } from './node-process.js';
import { BOT_CONTEXT, until } from './asterisk/parley-pbx.js';
import { grant, offerForAnswer, step, type Signal } from './signal-client.js';
import { rmsDbfs } from './signal-metrics.js';
import { WeriftBrowser } from './werift-browser.js';

const LOUD_DBFS = -40;
// Bot audio is 16 kHz PCM16 (the node's default bot rate): 320 samples a frame.
const BOT_FRAME_SAMPLES = 320;

// 20 ms frames the bot received from `fromByte` on that are louder than LOUD_DBFS.
export function loudBotFrames(peer: BotPeer, fromByte: number): number {
  const bytes = Buffer.concat(peer.audio).subarray(fromByte);
  const samples = new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + (bytes.length & ~1)));
  let loud = 0;
  for (let start = 0; start + BOT_FRAME_SAMPLES <= samples.length; start += BOT_FRAME_SAMPLES) {
    if (rmsDbfs(samples, start, start + BOT_FRAME_SAMPLES) > LOUD_DBFS) loud++;
  }
  return loud;
}

export function botBytes(peer: BotPeer): number {
  return peer.audio.reduce((sum, chunk) => sum + chunk.length, 0);
}

// The bots whose `start` names `source`, once `count` of them have started.
export async function botsOf(bots: BotServer, source: string, count: number): Promise<BotPeer[]> {
  const started = (): BotPeer[] => bots.peers.filter((peer) => peer.named('start')[0]?.caller && (peer.named('start')[0]!.caller as { source: string }).source === source);
  await until(() => started().length >= count, `${count} ${source} bot(s) started`, 30_000, 20);
  return started();
}

// A browser call (werift as the browser) through the node's grant and signaling, up to DTLS.
export async function startBrowserCall(node: NodeProcess, origin: string, cleanups: Array<() => unknown>): Promise<{ browser: WeriftBrowser; signal: Signal }> {
  const { token, iceServers } = await grant(node, origin);
  const browser = new WeriftBrowser(iceServers);
  cleanups.push(() => browser.close());
  const { signal, answer } = await offerForAnswer(node, origin, token, await step('ICE gathering', browser.offer()), 'the answer');
  cleanups.push(() => signal.socket.terminate());
  await browser.answer(answer.sdp as string);
  await until(() => browser.pc.connectionState === 'connected', 'DTLS with the node', 20_000, 20);
  return { browser, signal };
}

// A pbx-mode node process on the ARI double, its calls' bots on a BotServer, browsers allowed from
// `origin`; `env` adds to (or overrides) the node's environment.
export async function startPbxNode(origin: string, cleanups: Array<() => unknown>, env: Record<string, string> = {}): Promise<{ ari: AriDouble; bots: BotServer; node: NodeProcess }> {
  const ari = await AriDouble.start();
  cleanups.push(() => ari.close());
  const bots = await BotServer.start();
  cleanups.push(() => bots.close());
  const node = await NodeProcess.start({
    PARLEY_MODE: 'pbx',
    PARLEY_ARI_URL: ari.url,
    PARLEY_ARI_USERNAME: 'parley',
    PARLEY_ARI_PASSWORD: 'secret',
    PARLEY_ASTERISK_CONTEXTS: BOT_CONTEXT,
    PARLEY_BOT_URL: bots.url,
    PARLEY_ALLOWED_ORIGINS: origin,
    // Never answered: werift needs an ICE server to be named; host candidates carry the call.
    PARLEY_STUN_URLS: `stun:127.0.0.1:${await freeUdpPort()}`,
    ...env,
  });
  cleanups.push(() => node.kill());
  return { ari, bots, node };
}
