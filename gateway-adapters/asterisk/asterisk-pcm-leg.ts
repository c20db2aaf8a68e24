// PBX mode's chan_websocket and AudioSocket legs, made where the call's media runs (a media
// worker, or this process when inline): a PCM media session at the transport's rate, and its
// link to Asterisk once connected: dialled from here (chan_websocket server mode), or a socket the
// control plane accepted and handed over (chan_websocket client mode: the upgrade is finished
// here; AudioSocket: read past its UUID). The link, its pacing and the call's bot stay here.
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { WebSocket, WebSocketServer } from 'ws';
import { z } from 'zod';
import type { LegFactory } from '../../engine/call/leg-kind.js';
import type { MediaSession } from '../../engine/media/media-session.js';
import type { PcmSessionOptions } from '../../engine/media/media-session-options.js';
import { AudioSocketConnection } from './audiosocket-connection.js';
import { AudioSocketLink } from './audiosocket-link.js';
import { AriRequestError } from './errors.js';
import { LinkPump } from './link-pump.js';
import { MediaWebSocketLink } from './media-websocket-link.js';

export const ASTERISK_PCM_LEG = 'asterisk-pcm';
// The caller is gone: nothing left to play the bot's last words to.
const CALLER_HANGUP = 'caller_hangup';

const bytes = z.custom<Uint8Array>((value) => value instanceof Uint8Array);

export const asteriskPcmLegParamsSchema = z.object({
  transport: z.enum(['websocket', 'audiosocket']),
  // The node's media.session options (checked again by the engine).
  session: z.record(z.string(), z.unknown()),
});

export const asteriskConnectSchema = z.discriminatedUnion('via', [
  // chan_websocket server mode: Parley dials Asterisk's /media/<connection id>.
  z.object({ via: z.literal('dial'), url: z.string().url(), timeoutMs: z.number().int().positive() }),
  // chan_websocket client mode: Asterisk's upgrade request, answered here; MEDIA_START must name
  // the call's ExternalMedia channel (`channel_id`, the id Parley gave it).
  z.object({
    via: z.literal('upgrade'),
    request: z.object({ method: z.string(), url: z.string(), headers: z.record(z.string(), z.union([z.string(), z.array(z.string())]).optional()) }),
    head: bytes,
    channelId: z.string(),
  }),
  // AudioSocket, past its UUID message.
  z.object({ via: z.literal('audiosocket'), uuid: z.string(), head: bytes }),
]);

export type AsteriskConnect = z.infer<typeof asteriskConnectSchema>;

type Link = MediaWebSocketLink | AudioSocketLink;

const pump = new LinkPump();
// Client mode's upgrades, answered with subprotocol `media` as chan_websocket asks.
const upgrades = new WebSocketServer({ noServer: true, handleProtocols: (protocols) => (protocols.has('media') ? 'media' : false) });

function finishUpgrade(how: Extract<AsteriskConnect, { via: 'upgrade' }>, socket: Socket): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    // ws answers a bad handshake with 400 and destroys the socket without calling back.
    const onClose = (): void => reject(new AriRequestError('mediaWebSocket', 'the chan_websocket upgrade was refused'));
    socket.once('close', onClose);
    upgrades.handleUpgrade(how.request as never, socket, Buffer.from(how.head), (ws) => {
      socket.off('close', onClose);
      // Paused by the listener that accepted it (inline, the same socket object comes here).
      socket.resume();
      resolve(ws);
    });
  });
}

async function connectLink(how: AsteriskConnect, socket: Socket | undefined, session: MediaSession, logger: Logger, onBroken: (reason: string) => void): Promise<Link> {
  if (how.via === 'dial') {
    // The link listens from the first byte: MEDIA_START can arrive with the upgrade's answer.
    const ws = new WebSocket(how.url, 'media', { handshakeTimeout: how.timeoutMs });
    const link = new MediaWebSocketLink(ws, session, logger, onBroken);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', (error) => reject(new AriRequestError('mediaWebSocket', error.message)));
    }).catch((error: unknown) => {
      link.close();
      throw error;
    });
    return link;
  }
  if (!socket) throw new AriRequestError('connectMedia', `connecting over ${how.via} needs the socket`);
  if (how.via === 'audiosocket') return new AudioSocketLink(new AudioSocketConnection(socket, how.uuid, how.head, logger), session, logger, onBroken);
  return new MediaWebSocketLink(await finishUpgrade(how, socket), session, logger, onBroken, how.channelId);
}

export function asteriskPcmLegKind(): LegFactory {
  return (callId, params, { engine, logger }) => {
    const { transport, session: sessionOptions } = asteriskPcmLegParamsSchema.parse(params);
    // chan_websocket carries slin16; AudioSocket slin (8 kHz), which Asterisk 20 has too.
    const legRateHz = transport === 'websocket' ? 16000 : 8000;
    const session = engine.createPcmSession(callId, { ...sessionOptions, legRateHz } as PcmSessionOptions);
    let link: Link | undefined;
    let released = false;
    let markEnded: (reason: string) => void = () => undefined;
    const transportEnded = new Promise<string>((resolve) => (markEnded = resolve));
    return Promise.resolve({
      session,
      result: {},
      transportEnded,
      connect: async (raw, socket) => {
        let how: AsteriskConnect;
        try {
          if (released || link) throw new AriRequestError('connectMedia', released ? 'the leg has ended' : 'the leg is connected already');
          how = asteriskConnectSchema.parse(raw);
        } catch (error) {
          socket?.destroy();
          throw error;
        }
        const connected = await connectLink(how, socket, session, logger, markEnded);
        // Ended while the link was connecting: nothing may stay behind in the pump.
        if (released) {
          connected.close();
          throw new AriRequestError('connectMedia', 'the leg has ended');
        }
        link = connected;
        pump.add(link);
      },
      // chan_websocket still holds a few frames of the bot's last words: they play first, unless
      // the caller is the one who left.
      release: async (reason) => {
        released = true;
        if (!link) return;
        pump.delete(link);
        if (reason !== CALLER_HANGUP) await link.drain();
        link.close();
      },
    });
  };
}
