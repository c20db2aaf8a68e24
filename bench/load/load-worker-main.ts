// The load bench's media worker entry: the node's worker runtime (engine/workers) as
// api/media-worker-main.ts runs it, plus one leg kind of its own for the media-only figure: an
// RTP leg whose bot is an in-process echo (every caller frame played straight back), so the
// media's cost is measured without any bot connection. Its 'rtp' legs are the node's own.
import type { LegFactory } from '../../engine/workers/media-worker-process.js';
import { runMediaWorker } from '../../engine/workers/media-worker-process.js';
import type { RtpSessionOptions } from '../../engine/media/media-session-options.js';

const echoLeg: LegFactory = (callId, params, { engine }) => {
  const { session, localPort } = engine.createRtpSession(callId, params as RtpSessionOptions);
  session.on('audio', (pcm) => session.play(pcm));
  return Promise.resolve({ session, result: { localPort } });
};

runMediaWorker({ echo: () => echoLeg });
