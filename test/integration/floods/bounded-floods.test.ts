// Bounded floods of each hostile kind against a node in its own process, on 127.0.0.1: after
// each flood the node's RSS (after a full GC) and its /metrics size are back within 10 % of the
// baseline. The baseline is taken after a warm-up round of every kind (a tenth of its count), so
// that what a flood may legitimately leave behind once (JIT code, pools, the closed set of metric
// series) is already there; whatever grows with the count of hostile inputs shows.
//
// Counts per kind: FLOODS below. Each flood ends by itself (a bounded count), and the test waits
// on the node's answers and state, never on time.
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { BotServer } from '../../support/bot-server.js';
import type { FloodNodeReply, FloodNodeRequest } from '../../support/flood-node.js';

const FLOOD_ORIGIN = 'https://flood.example'; // as in flood-node.ts
import { mutants } from '../../support/mutate.js';
import { RtpPeer } from '../../support/rtp-peer.js';
import { seededRandom } from '../../support/seeded-random.js';
import { offerSdp, SipTestClient, toTagOf } from '../../support/sip-client.js';

const FLOODS = {
  sipMethods: 10_000, // requests with invented methods, from an allowed source (405 each)
  badSip: 5_000, // mutated INVITEs and OPTIONS
  botMarks: 3, // calls whose bot reads nothing and sends MARKS_PER_CALL marks (~12 MB of answers each)
  diagnostics: 5_000, // diagnostics messages on one signaling socket
  badPaths: 5_000, // GETs with malformed % escapes
  signalingJunk: 5_000, // junk messages on one signaling socket, plus a tenth as refused upgrades
};
const MARKS_PER_CALL = 50_000;
const TOLERANCE = 0.1;

class FloodNode {
  private readonly replies: FloodNodeReply[] = [];
  private waiters: Array<() => void> = [];
  ready!: Extract<FloodNodeReply, { type: 'ready' }>;

  constructor(readonly child: ChildProcess) {
    child.on('message', (reply: FloodNodeReply) => {
      this.replies.push(reply);
      for (const waiter of this.waiters.splice(0)) waiter();
    });
  }

  async reply<T extends FloodNodeReply['type']>(type: T, request?: FloodNodeRequest): Promise<Extract<FloodNodeReply, { type: T }>> {
    if (request) this.child.send(request);
    for (;;) {
      const index = this.replies.findIndex((reply) => reply.type === type);
      if (index !== -1) return this.replies.splice(index, 1)[0] as Extract<FloodNodeReply, { type: T }>;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  async until(predicate: (state: Extract<FloodNodeReply, { type: 'state' }>) => boolean): Promise<void> {
    // The node's state is polled over IPC: the test has no event for "a timer forgot a transaction".
    while (!predicate(await this.reply('state', { type: 'state' }))) await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('bounded floods leave memory and /metrics where they were', () => {
  let bot: BotServer;
  let node: FloodNode;
  let sip: SipTestClient;
  let rtp: RtpPeer;
  let baseline: { rssBytes: number; metricsBytes: number };
  const random = seededRandom(0xf100d);

  const measure = async (): Promise<{ rssBytes: number; metricsBytes: number }> => {
    const { rssBytes } = await node.reply('measure', { type: 'measure' });
    const metricsBytes = (await (await fetch(`${node.ready.operatorUrl}/metrics`)).text()).length;
    return { rssBytes, metricsBytes };
  };

  const expectBaseline = async (kind: string): Promise<void> => {
    const after = await measure();
    const growth = { kind, rss: after.rssBytes / baseline.rssBytes - 1, metrics: after.metricsBytes / baseline.metricsBytes - 1 };
    console.log(`flood ${kind}: RSS ${(baseline.rssBytes / 2 ** 20).toFixed(1)} -> ${(after.rssBytes / 2 ** 20).toFixed(1)} MB, /metrics ${baseline.metricsBytes} -> ${after.metricsBytes} bytes`);
    expect(growth.rss, `${kind}: RSS growth`).toBeLessThan(TOLERANCE);
    expect(growth.metrics, `${kind}: /metrics growth`).toBeLessThan(TOLERANCE);
  };

  // Sends `count` datagrams, with a round trip every 100 so they stay within the socket buffers.
  const sipFlood = async (count: number, build: (i: number) => string): Promise<void> => {
    for (let i = 0; i < count; i++) {
      sip.sendRaw(build(i));
      if (i % 100 === 99 || i === count - 1) {
        const probe = sip.newDialog();
        await sip.requestUntilAnswered(sip.request('OPTIONS', probe, 1), probe.callId, 'OPTIONS', 200);
      }
    }
    await node.until((state) => state.sipTransactions === 0);
  };

  // One SIP call whose bot stops reading and floods marks: the node gives up on it and hangs up.
  const stuckBotCall = async (): Promise<void> => {
    const peersBefore = bot.peers.length;
    const dialog = sip.newDialog();
    sip.invite(dialog, offerSdp({ port: rtp.port }));
    const ok = await sip.waitForResponse(dialog.callId, 'INVITE', 200);
    dialog.toTag = toTagOf(ok);
    sip.ack(dialog, true);
    const peer = await bot.peer(peersBefore);
    await peer.until(() => peer.events.length > 0);
    (peer.socket as unknown as { _socket: { pause(): void } })._socket.pause();
    const name = 'm'.repeat(200);
    for (let i = 0; i < MARKS_PER_CALL; i++) peer.send({ event: 'mark', name });
    // The node gives up on the stuck bot (bot.stuckTimeoutMs) and hangs up with BYE.
    const bye = await sip.waitForRequest(dialog.callId, 'BYE');
    sip.answer(bye);
    peer.socket.terminate();
    await node.until((state) => state.sipCalls === 0 && state.calls === 0 && state.sipTransactions === 0);
  };

  const floods: Record<keyof typeof FLOODS, (count: number) => Promise<void>> = {
    sipMethods: (count) =>
      sipFlood(count, () => {
        const method = Array.from({ length: 4 + Math.floor(random() * 12) }, () => String.fromCharCode(65 + Math.floor(random() * 26))).join('');
        return sip.request(method, sip.newDialog(), 1);
      }),
    badSip: async (count) => {
      const samples = [
        sip.request('INVITE', sip.newDialog(), 1, { body: offerSdp({ port: rtp.port }), headers: [['Content-Type', 'application/sdp']] }),
        sip.request('OPTIONS', sip.newDialog(), 1),
      ];
      const inputs = [...mutants(samples, count, Math.floor(random() * 2 ** 31))];
      await sipFlood(count, (i) => inputs[i]!.input.toString('latin1'));
    },
    botMarks: async (count) => {
      for (let call = 0; call < count; call++) await stuckBotCall();
    },
    diagnostics: async (count) => {
      const socket = await signalingSocket();
      const report = JSON.stringify({ type: 'diagnostics', diagnostics: { iceStates: [{ state: 'connected', atMs: 1 }], selectedCandidateType: 'host' } });
      for (let i = 0; i < count; i++) socket.send(report);
      await drained(socket);
    },
    badPaths: async (count) => {
      for (let i = 0; i < count; i += 50) {
        const batch = Array.from({ length: Math.min(50, count - i) }, (_, j) => fetch(`${node.ready.url}/${'%ZZ'.repeat(1 + ((i + j) % 7))}x${i + j}`).then((r) => r.status));
        expect(new Set(await Promise.all(batch))).toEqual(new Set([400]));
      }
    },
    signalingJunk: async (count) => {
      const socket = await signalingSocket();
      const junk = ['{', '[]', '{"type":"nope"}', '{"type":"offer","sdp":""}', 'x'.repeat(1000)];
      for (let i = 0; i < count; i++) socket.send(i % 7 === 0 ? Buffer.alloc(64, i) : junk[i % junk.length]!);
      await drained(socket);
      for (let i = 0; i < count / 10; i++) {
        const refused = new WebSocket(`${node.ready.url.replace('http', 'ws')}/v1/signal?token=junk${i}`, { headers: { origin: FLOOD_ORIGIN } });
        await once(refused, 'close').catch(() => undefined);
      }
    },
  };

  // A granted signaling socket, as a browser opens it.
  const signalingSocket = async (): Promise<WebSocket> => {
    const response = await fetch(`${node.ready.url}/v1/sessions`, { method: 'POST', headers: { origin: FLOOD_ORIGIN, 'content-type': 'application/json' }, body: '{}' });
    expect(response.status).toBe(201);
    const { token } = (await response.json()) as { token: string };
    const socket = new WebSocket(`${node.ready.url.replace('http', 'ws')}/v1/signal?token=${encodeURIComponent(token)}`, { headers: { origin: FLOOD_ORIGIN } });
    await once(socket, 'open');
    return socket;
  };

  // Everything sent before has been handled once the node answers a last junk message (messages
  // are handled in order), or once it closed the socket (a signaling limit); then it is closed.
  const drained = async (socket: WebSocket): Promise<void> => {
    if (socket.readyState === WebSocket.OPEN) {
      const answered = new Promise<void>((resolve) => {
        socket.on('message', (data: Buffer) => {
          if (JSON.parse(data.toString()).error === 'bad_json') resolve();
        });
        socket.once('close', () => resolve());
      });
      socket.send('{not json: the last message');
      await answered;
    }
    socket.close();
    if (socket.readyState !== WebSocket.CLOSED) await once(socket, 'close');
  };

  beforeAll(async () => {
    bot = await BotServer.start();
    rtp = await RtpPeer.open();
    const child = fork(fileURLToPath(new URL('../../support/flood-node.ts', import.meta.url)), [], {
      execArgv: ['--expose-gc', '--import', 'tsx'],
      env: { ...process.env, FLOOD_BOT_URL: bot.url },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    node = new FloodNode(child);
    node.ready = await node.reply('ready');
    sip = await SipTestClient.open({ address: '127.0.0.1', port: node.ready.sipPort });
    for (const [kind, count] of Object.entries(FLOODS)) await floods[kind as keyof typeof FLOODS](Math.ceil(count / 10));
    baseline = await measure();
  });

  afterAll(async () => {
    sip?.close();
    rtp?.close();
    if (node) {
      node.child.send({ type: 'stop' });
      await once(node.child, 'exit');
    }
    await bot?.close();
  });

  for (const [kind, count] of Object.entries(FLOODS)) {
    it(`${kind}: ${count} hostile inputs, then RSS and /metrics within 10 % of baseline`, async () => {
      await floods[kind as keyof typeof FLOODS](count);
      await expectBaseline(kind);
    });
  }
});
