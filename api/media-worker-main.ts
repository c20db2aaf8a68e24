// A media worker process's entry (forked by engine/workers/media-worker.ts; see
// docs/workers.md): the engine's worker runtime with the leg kinds beyond RTP that adapters
// bring. Composed here, beside api/main.ts, so engine/ never imports an adapter.
import { runMediaWorker } from '../engine/workers/media-worker-process.js';
import { ASTERISK_PCM_LEG, asteriskPcmLegKind } from '../gateway-adapters/asterisk/asterisk-pcm-leg.js';
import { webRtcLegKind } from '../gateway-adapters/webrtc/webrtc-worker-leg.js';

runMediaWorker({ webrtc: webRtcLegKind, [ASTERISK_PCM_LEG]: asteriskPcmLegKind });
