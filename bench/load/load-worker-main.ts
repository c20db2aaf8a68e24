// The load bench's media worker entry: the node's worker runtime (engine/workers) as
// api/media-worker-main.ts runs it, plus one leg kind of its own for the media-only figure: an
// RTP leg whose bot is an in-process echo (every caller frame played straight back), so the
// media's cost is measured without any bot connection. Its 'rtp' legs are the node's own.
import { rtpLeg, type LegFactory } from '../../engine/call/leg-kind.js';
import { runMediaWorker } from '../../engine/workers/media-worker-process.js';

const echoLeg: LegFactory = async (callId, params, context) => {
  const leg = await rtpLeg(callId, params, context);
  leg.session.on('audio', (pcm: Int16Array) => leg.session.play(pcm));
  return leg;
};

runMediaWorker({ echo: () => echoLeg });
