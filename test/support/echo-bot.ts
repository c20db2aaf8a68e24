// A null bot that plays back every frame it hears, so one media session carries audio both ways
// with nothing in between. Returns the frames heard (copied as they arrive).
import type { MediaSession } from '../../engine/media/media-session.js';

export function echoBot(session: MediaSession): Int16Array[] {
  const heard: Int16Array[] = [];
  session.on('audio', (pcm) => {
    heard.push(pcm.slice());
    session.play(pcm);
  });
  return heard;
}
