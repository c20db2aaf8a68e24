// A reference bot for the Parley bot protocol (docs/bot-protocol.md), to copy and grow into a
// real one: it beeps hello, records each caller utterance between Parley's speech_started and
// speech_stopped events, and plays it back. Only dependency: `ws`.
//
//   node examples/reference-bot.mjs            (PORT, HOST, BOT_TOKEN from the environment)
//   PARLEY_BOT_URL=ws://127.0.0.1:8765 npm start
import { WebSocketServer } from 'ws';

const HOST = process.env.HOST ?? '127.0.0.1';
const PORT = Number(process.env.PORT ?? 8765);
const TOKEN = process.env.BOT_TOKEN; // when set, Parley must send "Authorization: Bearer <token>"
const PRE_ROLL_MS = 300; // keep what came before the VAD's onset: it needs a moment to decide
// Speech over our own audio is reported once Parley has told it from our echo, up to a few seconds
// into it (speech_started's speechMs says how far): keep that much audio too.
const MAX_PRE_ROLL_FRAMES = 150;
const MIN_UTTERANCE_FRAMES = 15;
const MAX_FRAMES_PER_MESSAGE = 50; // Parley takes at most 1 s of audio per binary message

const server = new WebSocketServer({
  host: HOST,
  port: PORT,
  verifyClient: ({ req }) => !TOKEN || req.headers.authorization === `Bearer ${TOKEN}`,
});
server.on('listening', () => console.log(`reference bot listening on ws://${HOST}:${server.address().port}`));
server.on('connection', (socket, request) => {
  const call = new URL(request.url, 'ws://bot').searchParams.get('callId');
  let frameBytes = 640; // replaced by the start message
  let preRoll = [];
  let recording = null; // caller frames of the utterance in progress
  let replies = 0;

  const send = (event) => socket.send(JSON.stringify(event));
  // Audio goes out as whole 20 ms frames, at most a second per message; a mark follows it so
  // Parley tells us when the caller has actually heard it.
  const play = (pcm, markName) => {
    const usable = pcm.length - (pcm.length % frameBytes);
    for (let at = 0; at < usable; at += frameBytes * MAX_FRAMES_PER_MESSAGE) {
      socket.send(pcm.subarray(at, Math.min(usable, at + frameBytes * MAX_FRAMES_PER_MESSAGE)));
    }
    send({ event: 'mark', name: markName });
  };
  const beep = (rateHz, ms, hz) => {
    const pcm = Buffer.alloc(((rateHz * ms) / 1000) * 2);
    for (let i = 0; i < pcm.length / 2; i++) pcm.writeInt16LE(Math.round(6000 * Math.sin((2 * Math.PI * hz * i) / rateHz)), 2 * i);
    return pcm;
  };

  socket.on('message', (data, isBinary) => {
    if (isBinary) {
      // One 20 ms frame of caller audio, PCM16LE at the call's rate.
      if (recording) recording.push(data);
      else {
        preRoll.push(data);
        if (preRoll.length > MAX_PRE_ROLL_FRAMES) preRoll.shift();
      }
      return;
    }
    const event = JSON.parse(data.toString());
    switch (event.event) {
      case 'start':
        frameBytes = (event.media.sampleRateHz / 1000) * event.media.frameMs * 2;
        console.log(`call ${event.callId} started: ${event.media.sampleRateHz} Hz from ${event.caller.from ?? 'unknown'}${event.resumed ? ' (resumed)' : ''}`);
        play(beep(event.media.sampleRateHz, 300, 660), 'greeting');
        break;
      case 'speech_started':
        recording ??= preRoll.slice(-Math.ceil((event.speechMs + PRE_ROLL_MS) / 20));
        preRoll = [];
        break;
      case 'speech_stopped':
        if (recording && recording.length >= MIN_UTTERANCE_FRAMES) play(Buffer.concat(recording), `reply-${++replies}`);
        recording = null;
        break;
      case 'barge_in':
        // Parley has already flushed our audio; playedMs says how much of it the caller heard.
        console.log(`call ${call}: barged in after ${event.playedMs} ms of our audio`);
        break;
      case 'mark':
        console.log(`call ${call}: played ${event.name}`);
        break;
      case 'dtmf':
        if (event.digit === '#') send({ event: 'hangup', reason: 'caller_pressed_hash' });
        else send({ event: 'dtmf', digits: event.digit }); // echo the key back as a tone
        break;
      case 'stop':
        console.log(`call ${call} stopped: ${event.reason}`);
        break;
      default:
        break; // newer protocol versions may add events: ignore what you do not know
    }
  });
});

const shutdown = () => server.close(() => process.exit(0));
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
