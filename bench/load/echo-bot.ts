// The bot of the end-to-end load bench, in its own process (as a real bot runs): a WebSocket
// server that echoes every call's caller audio back as bot audio, in the Parley protocol (binary
// PCM16 frames, docs/bot-protocol.md) or as a Twilio Media Streams bot (media JSON, base64 µ-law).
// Tells its parent its port over IPC, then answers each `count` with the caller frames it has
// received so far (the bench's proof that the audio reached the bot), until killed.
import { once } from 'node:events';
import { WebSocketServer, type RawData } from 'ws';
import { z } from 'zod';

const [protocol] = z.tuple([z.enum(['parley', 'twilio'])]).parse(process.argv.slice(2));
// What a Twilio bot reads of a message (Twilio's own samples: JSON.parse, then the fields).
interface TwilioMessage {
  event?: unknown;
  streamSid?: unknown;
  media?: { payload?: unknown };
}

let frames = 0;
const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
await once(server, 'listening');
server.on('connection', (socket) => {
  socket.on('message', (data: RawData, isBinary: boolean) => {
    if (protocol === 'parley') {
      if (!isBinary) return;
      frames++;
      socket.send(data as Buffer, { binary: true });
      return;
    }
    // Node's WebSocket frames are trusted here as a bot trusts Twilio's: a schema walk per frame
    // would be the bench's cost, not a Twilio bot's (the node's own side checks every message).
    const message = JSON.parse((data as Buffer).toString('utf8')) as TwilioMessage;
    if (message.event === 'media' && typeof message.media?.payload === 'string') {
      frames++;
      socket.send(JSON.stringify({ event: 'media', streamSid: message.streamSid, media: { payload: message.media.payload } }));
    }
  });
});
const { port } = server.address() as { port: number };
process.on('message', () => process.send?.({ type: 'count', frames }));
process.send?.({ type: 'ready', port });
